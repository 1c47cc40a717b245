"""Lifecycle of a throw-away PostgreSQL server with TLS only (hostssl + scram)."""

from __future__ import annotations

import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg

from .binaries import pg_bindir
from .certs import CertPaths
from .errors import ServerStartError
from .process import RunAs, ServerProcess

HBA_TLS_ONLY = """\
hostssl all all 127.0.0.1/32 scram-sha-256
hostssl all all ::1/128 scram-sha-256
hostnossl all all 0.0.0.0/0 reject
hostnossl all all ::/0 reject
"""
#: A deliberately weak hba, for planted-defect self-tests.
HBA_ALLOW_PLAIN = """\
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
"""


@dataclass(frozen=True)
class PostgresConfig:
    port: int
    superuser_password: str
    allow_plaintext: bool = False  # planted defect switch
    max_connections: int = 120


class PostgresServer:
    """initdb + postgres in the foreground, TLS on, tuned for tests."""

    def __init__(self, root: Path, certs: CertPaths, config: PostgresConfig, run_as: RunAs | None) -> None:
        self.root = root
        self.data = root / "data"
        self.certs = certs
        self.config = config
        self.run_as = run_as
        self.process: ServerProcess | None = None

    @property
    def port(self) -> int:
        return self.config.port

    def superuser_conninfo(self, dbname: str = "postgres") -> str:
        return psycopg.conninfo.make_conninfo(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            password=self.config.superuser_password,
            dbname=dbname,
            sslmode="verify-full",
            sslrootcert=str(self.certs.ca),
            connect_timeout=5,
        )

    def init(self) -> None:
        """initdb and write the TLS-only configuration."""
        self.root.mkdir(parents=True, exist_ok=True)
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.config.superuser_password + "\n")
        pwfile.chmod(0o600)
        key = self.root / "server.key"
        shutil.copyfile(self.certs.server_key, key)
        key.chmod(0o600)
        if self.run_as:
            self.run_as.chown(self.root, pwfile, key)
        bindir = pg_bindir()
        argv = [
            str(bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=scram-sha-256",
            f"--pwfile={pwfile}", "--no-sync", "-E", "UTF8", "--locale=C", "--no-instructions",
        ]
        kwargs: dict[str, object] = {}
        if self.run_as:
            kwargs = {"user": self.run_as.uid, "group": self.run_as.gid, "extra_groups": []}
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, **kwargs)  # type: ignore[call-overload]
        pwfile.unlink()
        if done.returncode != 0:
            raise ServerStartError(
                f"initdb failed with code {done.returncode}",
                checked=" ".join(argv[:3]) + f"\n{done.stdout[-1500:]}{done.stderr[-1500:]}",
                remedies=("check free disk space and that the data directory is writable",),
            )
        (self.data / "pg_hba.conf").write_text(HBA_ALLOW_PLAIN if self.config.allow_plaintext else HBA_TLS_ONLY)
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# sprint-signoff\n"
                "listen_addresses = '127.0.0.1'\n"
                f"port = {self.port}\n"
                "unix_socket_directories = ''\n"
                f"max_connections = {self.config.max_connections}\n"
                "ssl = on\n"
                f"ssl_cert_file = '{self.certs.server_cert}'\n"
                f"ssl_key_file = '{key}'\n"
                f"ssl_ca_file = '{self.certs.ca}'\n"
                "ssl_min_protocol_version = 'TLSv1.2'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "shared_buffers = 32MB\n"
                "log_min_messages = warning\n"
            )

    def start(self) -> None:
        self.process = ServerProcess(
            "postgres",
            [str(pg_bindir() / "postgres"), "-D", str(self.data)],
            log_path=self.root / "postgres.log",
            run_as=self.run_as,
            stop_signal=signal.SIGINT,  # "fast" shutdown: do not wait for clients
        )
        if self.run_as:
            (self.root / "postgres.log").touch()
            self.run_as.chown(self.root / "postgres.log")
        self.process.start(self._ready, timeout=30)

    def _ready(self) -> bool:
        with psycopg.connect(self.superuser_conninfo(), connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True

    def version(self) -> str:
        with psycopg.connect(self.superuser_conninfo(), autocommit=True) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "unknown"

    def stop(self) -> None:
        if self.process:
            self.process.stop()
