"""Lifecycle of a PgBouncer 1.18 in transaction mode with TLS on both legs."""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass
from pathlib import Path

import psycopg

from .binaries import require
from .certs import CertPaths
from .process import RunAs, ServerProcess

ADMIN_USER = "pgbouncer_admin"


@dataclass(frozen=True)
class PgBouncerConfig:
    port: int
    pg_port: int
    dbname: str
    users: tuple[tuple[str, str], ...]  # (name, password); the first is used for readiness
    admin_password: str
    pool_mode: str = "transaction"
    pool_size: int = 10
    client_tls: bool = True  # planted defect switch
    server_tls_sslmode: str = "verify-full"  # "disable" is 1.18's default: a planted defect


def render_userlist(entries: list[tuple[str, str]]) -> str:
    """auth_file lines: ``"user" "password"`` (plain text: PgBouncer runs SCRAM on both legs with it)."""
    return "".join(f'"{u}" "{p}"\n' for u, p in entries)


def render_ini(
    c: PgBouncerConfig, *, cert: str, key: str, ca: str, auth_file: str, logfile: str | None, pidfile: str | None,
    listen_addr: str = "127.0.0.1", pg_host: str = "127.0.0.1",
) -> str:
    """pgbouncer.ini shared by every provider; only addresses and file paths differ between them.

    ``logfile``/``pidfile`` None leaves the line out (log to stderr, no pid file: what a container wants).
    """
    client_tls = (
        "client_tls_sslmode = require\n"
        f"client_tls_cert_file = {cert}\n"
        f"client_tls_key_file = {key}\n"
        f"client_tls_ca_file = {ca}\n"
        if c.client_tls
        else "client_tls_sslmode = disable\n"
    )
    files = (f"logfile = {logfile}\n" if logfile is not None else "") + (
        f"pidfile = {pidfile}\n" if pidfile is not None else "")
    return (
        "[databases]\n"
        f"{c.dbname} = host={pg_host} port={c.pg_port} dbname={c.dbname}\n"
        f"* = host={pg_host} port={c.pg_port}\n"
        "[pgbouncer]\n"
        f"listen_addr = {listen_addr}\n"
        f"listen_port = {c.port}\n"
        "unix_socket_dir =\n"
        + files
        + "auth_type = scram-sha-256\n"
        f"auth_file = {auth_file}\n"
        f"admin_users = {ADMIN_USER}\n"
        f"stats_users = {ADMIN_USER}\n"
        f"pool_mode = {c.pool_mode}\n"
        f"default_pool_size = {c.pool_size}\n"
        "min_pool_size = 0\nreserve_pool_size = 0\n"
        "max_client_conn = 500\n"
        "server_login_retry = 1\n"
        # A client queued for a server connection gives up after 30 s, not 1.18's 120 s (found by
        # the fault drills: a dead PostgreSQL held pooled checkouts for two minutes).
        "query_wait_timeout = 30\n"
        "ignore_startup_parameters = extra_float_digits\n"
        + client_tls
        + f"server_tls_sslmode = {c.server_tls_sslmode}\n"
        f"server_tls_ca_file = {ca}\n"
    )


class PgBouncerServer:
    def __init__(self, root: Path, certs: CertPaths, config: PgBouncerConfig, run_as: RunAs | None) -> None:
        self.root = root
        self.certs = certs
        self.config = config
        self.run_as = run_as
        self.process: ServerProcess | None = None

    @property
    def port(self) -> int:
        return self.config.port

    def write_config(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        c = self.config
        userlist = self.root / "userlist.txt"
        entries = [*c.users, (ADMIN_USER, c.admin_password)]
        userlist.write_text(render_userlist(entries))
        userlist.chmod(0o600)
        ini = self.root / "pgbouncer.ini"
        ini.write_text(render_ini(
            c, cert=str(self.certs.server_cert), key=str(self.root / "server.key"), ca=str(self.certs.ca),
            auth_file=str(userlist), logfile=str(self.root / "pgbouncer.log"), pidfile=str(self.root / "pgbouncer.pid"),
        ))
        key = self.root / "server.key"
        key.write_bytes(self.certs.server_key.read_bytes())
        key.chmod(0o600)
        if self.run_as:
            # A log left by a failed root start would stop the next start as the service user.
            for name in ("pgbouncer.log", "pgbouncer.pid"):
                (self.root / name).unlink(missing_ok=True)
            self.run_as.chown(self.root, userlist, ini, key)
        return ini

    def app_conninfo(self, user: str, password: str, dbname: str | None = None) -> str:
        sslmode = "verify-full" if self.config.client_tls else "disable"
        return psycopg.conninfo.make_conninfo(
            host="127.0.0.1", port=self.port, user=user, password=password,
            dbname=dbname or self.config.dbname, sslmode=sslmode, sslrootcert=str(self.certs.ca),
            connect_timeout=5,
        )

    def admin_conninfo(self) -> str:
        return self.app_conninfo(ADMIN_USER, self.config.admin_password, "pgbouncer")

    def start(self) -> None:
        ini = self.write_config()
        self.process = ServerProcess(
            "pgbouncer",
            [require("pgbouncer", "pgbouncer"), str(ini)],
            log_path=self.root / "pgbouncer.stdout",
            run_as=self.run_as,
            stop_signal=signal.SIGINT,  # safe shutdown (PAUSE + SHUTDOWN): what a restart drill wants
        )
        self.process.start(self._ready, timeout=15)

    def _ready(self) -> bool:
        # The admin console is served by PgBouncer itself: ready without touching PostgreSQL.
        with psycopg.connect(self.admin_conninfo(), autocommit=True, prepare_threshold=None, connect_timeout=2) as conn:
            psycopg.ClientCursor(conn).execute("SHOW VERSION")
        return True

    def version(self) -> str:
        with psycopg.connect(self.admin_conninfo(), autocommit=True, prepare_threshold=None) as conn:
            cur = psycopg.ClientCursor(conn)
            cur.execute("SHOW VERSION")
            row = cur.fetchone()
        return str(row[0]) if row else "unknown"

    def immediate_stop_signal(self, version: str) -> int:
        """The signal for an immediate shutdown: SIGTERM up to 1.22; from 1.23 SIGTERM waits for
        clients to leave and SIGQUIT is immediate."""
        match = re.search(r"(\d+)\.(\d+)", version)
        if match is None:
            return self.process.stop_signal if self.process else signal.SIGINT
        return signal.SIGTERM if (int(match.group(1)), int(match.group(2))) < (1, 23) else signal.SIGQUIT

    def stop(self) -> None:
        if self.process:
            self.process.stop()
