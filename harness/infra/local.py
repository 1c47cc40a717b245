"""Factory: PostgreSQL, PgBouncer and Redis as child processes on loopback, TLS everywhere."""

from __future__ import annotations

import os
import secrets
import signal
import shutil
import socket
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import psycopg

from .certs import CertPaths, make_certs
from .pgbouncer import PgBouncerConfig, PgBouncerServer
from .postgres import PostgresConfig, PostgresServer
from .process import RunAs
from .redis_server import RedisConfig, RedisServer
from .stack import RedisTarget, Stack, postgres_url

APP_USER = "docling_app"
APP_DB = "docling_db"


@dataclass(frozen=True)
class LocalStackOptions:
    """Knobs of the local stack. Defaults are the correct configuration; the others
    exist so self-tests can plant one defect at a time."""

    pg_allow_plaintext: bool = False
    pgbouncer_client_tls: bool = True
    pgbouncer_server_tls: str = "verify-full"
    pool_mode: str = "transaction"
    pool_size: int = 10
    redis_mutual_tls: bool = True
    redis_plaintext_port: bool = False
    redis_maxmemory: str = "0"
    redis_maxmemory_policy: str = "noeviction"
    #: Server-side statement timeout of the app role; None leaves PostgreSQL's default (off).
    statement_timeout: str | None = "60s"
    app_version: str = "1.0.0"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


MEMORY_DIR = Path("/dev/shm")
_MEMORY_MIN_FREE = 1 << 30


def stack_base_dir(env: Mapping[str, str] = os.environ) -> Path | None:
    """Where stack directories go: ``SIGNOFF_STACK_DIR``; else the temp dir when ``TMPDIR`` is set
    explicitly; else /dev/shm when it is writable with >= 1 GiB free; else the temp dir (None).

    In memory because the data is thrown away anyway, and initdb, CREATE DATABASE and restores run
    about twice as fast there as on this machine's disk (initdb 0.36 s vs 0.77 s)."""
    if env.get("SIGNOFF_STACK_DIR"):
        return Path(env["SIGNOFF_STACK_DIR"])
    if env.get("TMPDIR"):
        return None
    try:
        usage = shutil.disk_usage(MEMORY_DIR)
    except OSError:
        return None
    return MEMORY_DIR if os.access(MEMORY_DIR, os.W_OK | os.X_OK) and usage.free >= _MEMORY_MIN_FREE else None


class LocalStack:
    """Owns the server processes and the private directory of one local stack."""

    def __init__(self, options: LocalStackOptions | None = None, *, base_dir: Path | None = None) -> None:
        self.options = options or LocalStackOptions()
        self.root = Path(tempfile.mkdtemp(prefix="signoff-stack-", dir=base_dir or stack_base_dir()))
        self.root.chmod(0o755)  # the service user must traverse it
        self.run_as = RunAs.for_current_process()
        self.certs: CertPaths = make_certs(self.root / "certs")
        (self.root / "certs").chmod(0o755)
        self.app_password = secrets.token_urlsafe(18)
        self.redis_password = secrets.token_urlsafe(18)
        o = self.options
        self.postgres = PostgresServer(
            self.root / "pg",
            self.certs,
            PostgresConfig(port=free_port(), superuser_password=secrets.token_urlsafe(18),
                           allow_plaintext=o.pg_allow_plaintext),
            self.run_as,
        )
        self.pgbouncer = PgBouncerServer(
            self.root / "pgbouncer",
            self.certs,
            PgBouncerConfig(
                port=free_port(), pg_port=self.postgres.port, dbname=APP_DB,
                users=((APP_USER, self.app_password), ("postgres", self.postgres.config.superuser_password)),
                admin_password=secrets.token_urlsafe(18), pool_mode=o.pool_mode, pool_size=o.pool_size,
                client_tls=o.pgbouncer_client_tls, server_tls_sslmode=o.pgbouncer_server_tls,
            ),
            self.run_as,
        )
        self.redis = RedisServer(
            self.root / "redis",
            self.certs,
            RedisConfig(
                tls_port=free_port(), password=self.redis_password, mutual_tls=o.redis_mutual_tls,
                plaintext_port=free_port() if o.redis_plaintext_port else 0,
                maxmemory=o.redis_maxmemory, maxmemory_policy=o.redis_maxmemory_policy,
            ),
        )
        self.stack: Stack | None = None
        self.timings: dict[str, float] = {}

    def start(self) -> Stack:
        """Start all three servers (Redis alongside PostgreSQL) and provision the app role."""
        t0 = time.perf_counter()
        try:
            self.redis.spawn()  # boots while initdb runs
            self.postgres.init()
            self.postgres.start()
            self.timings["postgres_s"] = time.perf_counter() - t0
            self._provision()
            self.pgbouncer.start()
            self.redis.wait_ready()
        except BaseException:
            self.stop()
            raise
        self.timings["total_s"] = time.perf_counter() - t0
        self.stack = self._describe()
        return self.stack

    def _provision(self) -> None:
        o = self.options
        with psycopg.connect(self.postgres.superuser_conninfo(), autocommit=True) as conn:
            conn.execute(
                psycopg.sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    psycopg.sql.Identifier(APP_USER), psycopg.sql.Literal(self.app_password)
                )
            )
            conn.execute(psycopg.sql.SQL("CREATE DATABASE {} OWNER {}").format(
                psycopg.sql.Identifier(APP_DB), psycopg.sql.Identifier(APP_USER)))
            if o.statement_timeout:
                conn.execute(psycopg.sql.SQL("ALTER ROLE {} SET statement_timeout = {}").format(
                    psycopg.sql.Identifier(APP_USER), psycopg.sql.Literal(o.statement_timeout)))

    def _describe(self) -> Stack:
        ca = str(self.certs.ca)
        tls = {"sslmode": "verify-full", "sslrootcert": ca}
        pool_tls = tls if self.options.pgbouncer_client_tls else {"sslmode": "disable"}
        return Stack(
            provider="local",
            database_url=postgres_url(user=APP_USER, password=self.app_password, host="127.0.0.1",
                                      port=self.postgres.port, dbname=APP_DB, **tls),
            database_pool_url=postgres_url(user=APP_USER, password=self.app_password, host="127.0.0.1",
                                           port=self.pgbouncer.port, dbname=APP_DB, **pool_tls),
            admin_database_url=postgres_url(user="postgres", password=self.postgres.config.superuser_password,
                                            host="127.0.0.1", port=self.postgres.port, dbname="postgres", **tls),
            pgbouncer_admin_url=postgres_url(user="pgbouncer_admin", password=self.pgbouncer.config.admin_password,
                                             host="127.0.0.1", port=self.pgbouncer.port, dbname="pgbouncer",
                                             **pool_tls),
            redis=RedisTarget(
                host="127.0.0.1", port=self.redis.port, password=self.redis_password, tls=True, ca_path=ca,
                cert_path=str(self.certs.client_cert), key_path=str(self.certs.client_key),
            ),
            ca_path=ca,
            app_version=self.options.app_version,
            destructive_allowed=True,
            versions={
                "postgres": self.postgres.version(),
                "pgbouncer": self.pgbouncer.version(),
                "redis": self.redis.version(),
            },
        )

    def stop(self) -> None:
        """Stop every server (all asked at once, PgBouncer first) and remove the private directory.

        Immediate shutdowns: the data is deleted next, so PostgreSQL's shutdown checkpoint and
        PgBouncer's wait for its clients (a safe shutdown takes ~0.3 s) would be for nothing."""
        # PgBouncer's immediate signal depends on its version; before the stack is described, its default.
        bouncer = self.pgbouncer.immediate_stop_signal(self.stack.versions["pgbouncer"]) if self.stack else None
        order = [(self.pgbouncer.process, bouncer), (self.postgres.process, signal.SIGQUIT), (self.redis.process, None)]
        processes = [(process, sig) for process, sig in order if process is not None]
        for process, sig in processes:
            process.request_stop(sig)
        for process, _ in processes:
            try:
                process.stop()
            except Exception:  # noqa: BLE001 - keep stopping the others
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
