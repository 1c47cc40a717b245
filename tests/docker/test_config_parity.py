"""Both providers run the same server settings: the compose stack's files are rendered by the local
provider's own functions, committed, and compared here setting by setting."""

from __future__ import annotations

import re
from pathlib import Path

from harness.infra import docker_config as dc
from harness.infra.local import APP_DB, APP_USER, LocalStackOptions
from harness.infra.pgbouncer import PgBouncerConfig, render_ini
from harness.infra.postgres import HBA_TLS_ONLY, LOOPBACK, server_settings
from harness.infra.redis_server import RedisConfig, redis_settings

ROOT = Path(__file__).resolve().parents[2]
#: Settings allowed to differ: where things listen, which port inside the container, where files live.
PG_LOCATION_KEYS = {"listen_addresses", "port", "unix_socket_directories", "ssl_cert_file", "ssl_key_file", "ssl_ca_file"}
PGB_LOCATION_KEYS = {"listen_addr", "listen_port", "logfile", "pidfile", "auth_file", "client_tls_cert_file",
                     "client_tls_key_file", "client_tls_ca_file", "server_tls_ca_file", "docling_db", "*"}
REDIS_LOCATION_KEYS = {"bind", "tls-port", "tls-cert-file", "tls-key-file", "tls-ca-cert-file", "dir"}


def _kv(text: str, sep: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith(("#", "[")):
            key, _, value = line.partition(sep)
            out[key.strip()] = value.strip()
    return out


def test_generated_files_are_committed_and_current() -> None:
    """docker/postgres/*.conf, docker/pgbouncer/pgbouncer.ini and docker/redis/redis.conf equal a fresh
    rendering (else: python -m harness.infra.docker_config)."""
    assert dc.stale() == []


def test_hba_is_the_local_one_with_container_networks() -> None:
    """Same rules: hostssl + scram-sha-256, every hostnossl rejected; only the networks differ (plus the
    container-only peer line for the image's init, documented in CONTAINER_ONLY)."""
    docker = [l for l in (ROOT / "docker/postgres/pg_hba.conf").read_text().splitlines() if l and l[0] != "#"]
    assert docker[0] == "local all postgres peer"
    local = HBA_TLS_ONLY.splitlines()
    as_docker = [re.sub(r"^(hostssl all all )\S+", r"\1NET", l) for l in local]
    assert [re.sub(r"^(hostssl all all )\S+", r"\1NET", l) for l in docker[1:]] == as_docker
    assert [l for l in docker if l.startswith("hostnossl")] == [l for l in local if l.startswith("hostnossl")]
    assert all(l.endswith("reject") for l in docker if l.startswith("hostnossl"))
    assert not any(l.startswith("host ") for l in docker)
    assert any(LOOPBACK[0] in l for l in local)


def test_postgresql_conf_matches_the_local_settings() -> None:
    """Every postgresql.conf setting of the local provider, same value, except locations; plus hba_file."""
    local = dict(server_settings(listen="127.0.0.1", port=1, cert="c", key="k", ca="a", max_connections=120))
    docker = _kv((ROOT / "docker/postgres/postgresql.conf").read_text(), "=")
    assert {k: v for k, v in docker.items() if k not in PG_LOCATION_KEYS | {"hba_file"}} == {
        k: v for k, v in local.items() if k not in PG_LOCATION_KEYS}
    assert docker["ssl"] == "on" and docker["ssl_min_protocol_version"] == "'TLSv1.2'"
    assert docker["hba_file"] == "'/etc/postgresql/pg_hba.conf'"


def test_pgbouncer_ini_matches_the_local_settings() -> None:
    """pool_mode=transaction, client TLS required, server_tls_sslmode=verify-full with the CA, SCRAM, admin
    user: identical to what the local provider writes for its default options."""
    o = LocalStackOptions()
    local_cfg = PgBouncerConfig(port=1, pg_port=2, dbname=APP_DB, users=(), admin_password="", pool_mode=o.pool_mode,
                                pool_size=o.pool_size, client_tls=o.pgbouncer_client_tls,
                                server_tls_sslmode=o.pgbouncer_server_tls)
    local = _kv(render_ini(local_cfg, cert="c", key="k", ca="a", auth_file="u", logfile="l", pidfile="p"), "=")
    docker = _kv((ROOT / "docker/pgbouncer/pgbouncer.ini").read_text(), "=")
    strip = lambda d: {k: v for k, v in d.items() if k not in PGB_LOCATION_KEYS}  # noqa: E731
    assert strip(docker) == strip(local)
    assert docker["pool_mode"] == "transaction" and docker["client_tls_sslmode"] == "require"
    assert docker["server_tls_sslmode"] == "verify-full" and docker["server_tls_ca_file"]
    assert docker["docling_db"] == "host=postgres port=5432 dbname=docling_db"


def test_redis_conf_matches_the_local_settings() -> None:
    """TLS only (port 0), same memory policy and persistence; tls-auth-clients and requirepass are the two
    directives the entrypoint appends at start (default tls-auth-clients yes = the local provider's mTLS)."""
    o = LocalStackOptions()
    local = dict(redis_settings(RedisConfig(tls_port=1, password="secret", mutual_tls=o.redis_mutual_tls,
                                            maxmemory=o.redis_maxmemory, maxmemory_policy=o.redis_maxmemory_policy),
                                cert="c", key="k", ca="a", directory="d"))
    docker = _kv((ROOT / "docker/redis/redis.conf").read_text(), " ")
    runtime = set(dc.REDIS_RUNTIME_KEYS)
    assert {k: v for k, v in docker.items() if k not in REDIS_LOCATION_KEYS} == {
        k: v for k, v in local.items() if k not in REDIS_LOCATION_KEYS | runtime}
    assert docker["port"] == "0"
    entrypoint = (ROOT / "docker/redis/entrypoint.sh").read_text()
    assert "printf 'tls-auth-clients %s\\n'" in entrypoint and "printf 'requirepass %s\\n'" in entrypoint
    assert 'auth="${REDIS_TLS_AUTH_CLIENTS:-yes}"' in entrypoint
    assert local["tls-auth-clients"] == "yes"


def test_init_script_provisions_the_local_role() -> None:
    """The compose init script creates the same role and database with the same statement_timeout."""
    script = (ROOT / "docker/postgres/initdb/10-app-role.sh").read_text()
    assert f"-v app_user={APP_USER}" in script and f"-v app_db={APP_DB}" in script
    assert f'timeout="${{APP_STATEMENT_TIMEOUT-{LocalStackOptions().statement_timeout}}}"' in script
    assert "ALTER ROLE :\"app_user\" SET statement_timeout = :'statement_timeout';" in script
