"""The compose stack's own files on real servers (no engine): docker/gen-certs.sh, the generated
postgresql.conf / pg_hba.conf / pgbouncer.ini / redis.conf, the entrypoint wrappers and the init script.

What this does NOT cover (needs an engine): the images themselves, their entrypoints and users, compose
networking (service names) and healthchecks. See docs/docker.md."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from harness.infra.errors import PrerequisiteMissing
from tests.docker.compose_files import DOCKER, FilesStack, gen_certs

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the entrypoints install files owned by the service "
                                                          "users (postgres, redis): run as root, as CI does")


@pytest.fixture(scope="module")
def files_stack() -> Iterator[FilesStack]:
    stack = FilesStack()
    try:
        stack.start()
    except PrerequisiteMissing as exc:
        stack.stop()
        pytest.skip(f"local servers missing: {exc.what}")
    except BaseException:
        stack.stop()
        raise
    yield stack
    stack.stop()


def test_gen_certs_names_every_service_and_is_idempotent(tmp_path: Path) -> None:
    """One server certificate for localhost, 127.0.0.1, ::1 and the service names (PgBouncer verifies
    `postgres` with verify-full); keys 0600 owned by the directory's owner; a second run keeps the set."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not installed")
    certs = tmp_path / "certs"
    first = gen_certs(certs)
    assert first.returncode == 0, first.stderr
    sans = subprocess.run(["openssl", "x509", "-in", str(certs / "server.crt"), "-noout", "-ext", "subjectAltName"],
                          capture_output=True, text=True, check=True).stdout
    for name in ("DNS:localhost", "DNS:postgres", "DNS:pgbouncer", "DNS:redis", "IP Address:127.0.0.1"):
        assert name in sans, name
    verify = subprocess.run(["openssl", "verify", "-CAfile", str(certs / "ca.pem"), str(certs / "server.crt"),
                             str(certs / "client.crt")], capture_output=True, text=True, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    wrong = subprocess.run(["openssl", "verify", "-CAfile", str(certs / "wrong-ca.pem"), str(certs / "server.crt")],
                           capture_output=True, text=True, check=False)
    assert wrong.returncode != 0
    for key in ("server.key", "client.key"):
        st = (certs / key).stat()
        assert oct(st.st_mode & 0o777) == "0o600" and st.st_uid == certs.stat().st_uid
    before = (certs / "ca.pem").read_bytes()
    again = gen_certs(certs)
    assert again.returncode == 0 and "keeping" in again.stdout
    assert (certs / "ca.pem").read_bytes() == before
    forced = gen_certs(certs, CERTS_FORCE="1")
    assert forced.returncode == 0 and (certs / "ca.pem").read_bytes() != before


def test_postgres_is_tls_only_with_the_app_role_provisioned(files_stack: FilesStack) -> None:
    """With the generated postgresql.conf and pg_hba.conf: plaintext is rejected, verify-full against the
    compose CA works (TLS 1.2+), and the init script made docling_app/docling_db with statement_timeout 60s."""
    s = files_stack
    with pytest.raises(psycopg.OperationalError, match="no encryption"):
        psycopg.connect(s.conninfo(s.pg_port, "docling_app", s.app_password, "docling_db", sslmode="disable"))
    with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
        psycopg.connect(s.conninfo(s.pg_port, "docling_app", s.app_password, "docling_db",
                                   sslrootcert=str(s.certs / "wrong-ca.pem")))
    with psycopg.connect(s.conninfo(s.pg_port, "docling_app", s.app_password, "docling_db")) as conn:
        version = conn.execute("select version from pg_stat_ssl where pid = pg_backend_pid()").fetchone()
        timeout = conn.execute("show statement_timeout").fetchone()
        owner = conn.execute("select pg_get_userbyid(datdba) from pg_database where datname = current_database()"
                             ).fetchone()
    assert version and version[0] in ("TLSv1.2", "TLSv1.3")
    assert timeout == ("1min",)
    assert owner == ("docling_app",)


def test_pgbouncer_entrypoint_serves_transaction_pooling_over_tls(files_stack: FilesStack) -> None:
    """docker/pgbouncer/entrypoint.sh (auth file from env, private key copy, drops root with -u) and the
    generated pgbouncer.ini: TLS from the client, verify-full to PostgreSQL, transaction pooling."""
    s = files_stack
    assert s.pooled_select() == 1
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(s.conninfo(s.pgbouncer_port, "docling_app", s.app_password, "docling_db", sslmode="disable"))
    admin = s.conninfo(s.pgbouncer_port, "pgbouncer_admin", s.admin_password, "pgbouncer")
    with psycopg.connect(admin, autocommit=True, prepare_threshold=None) as conn:
        cur = psycopg.ClientCursor(conn)
        cur.execute("SHOW CONFIG")
        config = {row[0]: row[1] for row in cur.fetchall()}
    assert config["pool_mode"] == "transaction"
    assert config["client_tls_sslmode"] == "require"
    assert config["server_tls_sslmode"] == "verify-full"
    pid = s.processes[1].pid
    user = subprocess.run(["ps", "-o", "user=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
    assert user == "postgres", f"pgbouncer runs as {user!r}"


def test_redis_entrypoint_is_tls_only_with_password_and_mutual_tls(files_stack: FilesStack) -> None:
    """docker/redis/entrypoint.sh + generated redis.conf: mTLS PING works; no client certificate, no
    password, or plaintext are refused (default REDIS_TLS_AUTH_CLIENTS=yes)."""
    s = files_stack
    assert s.redis_client().ping() is True
    with pytest.raises(redis.exceptions.ConnectionError):
        s.redis_client(client_cert=False).ping()
    with pytest.raises(redis.exceptions.AuthenticationError):
        s.redis_client(password=False).get("x")
    plain = redis.Redis(host="127.0.0.1", port=s.redis_port, password=s.redis_password, socket_timeout=1,
                        retry=Retry(NoBackoff(), 0))
    with pytest.raises(redis.exceptions.ConnectionError):
        plain.ping()
    info = s.redis_client().config_get("tls-auth-clients")
    assert info == {"tls-auth-clients": "yes"}


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("REDIS_TLS_AUTH_CLIENTS", "maybe", "must be yes, optional or no"),
    ("REDIS_PASSWORD", "has space", "may use only letters"),
])
def test_redis_entrypoint_refuses_bad_settings(files_stack: FilesStack, setting: str, value: str, message: str) -> None:
    """A mistyped switch or a password that would corrupt redis.conf stops the container with the reason."""
    s = files_stack
    env = s.redis_env(s.root / "redis-tls-bad", s.root / "redis-etc" / "redis.conf", s.root / "shim", "yes")
    env[setting] = value
    done = subprocess.run(["sh", str(DOCKER / "redis/entrypoint.sh")], env=env, capture_output=True, text=True,
                          timeout=10, check=False)
    assert done.returncode == 2 and message in done.stderr
