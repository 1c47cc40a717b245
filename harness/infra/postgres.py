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

#: Where the local provider's clients come from (loopback only).
LOOPBACK = ("127.0.0.1/32", "::1/128")
#: Every IPv4/IPv6 address: the hba rules a container needs (its port is published on loopback only).
ANY_ADDRESS = ("0.0.0.0/0", "::/0")


def hba_lines(*, tls_networks: tuple[str, ...] = LOOPBACK, allow_plaintext: bool = False) -> str:
    """pg_hba.conf rules shared by every provider: TLS + SCRAM from the given networks, plaintext rejected.

    ``allow_plaintext`` renders the deliberately weak variant used by planted-defect self-tests.
    """
    if allow_plaintext:
        return "".join(f"host all all {net} scram-sha-256\n" for net in tls_networks)
    accept = "".join(f"hostssl all all {net} scram-sha-256\n" for net in tls_networks)
    reject = "".join(f"hostnossl all all {net} reject\n" for net in ANY_ADDRESS)
    return accept + reject


HBA_TLS_ONLY = hba_lines()
#: A deliberately weak hba, for planted-defect self-tests.
HBA_ALLOW_PLAIN = hba_lines(allow_plaintext=True)


def server_settings(
    *, listen: str, port: int, cert: str, key: str, ca: str, max_connections: int, unix_socket_dir: str = ""
) -> list[tuple[str, str]]:
    """postgresql.conf settings shared by every provider (values already quoted as the file needs)."""
    return [
        ("listen_addresses", f"'{listen}'"),
        ("port", str(port)),
        ("unix_socket_directories", f"'{unix_socket_dir}'"),
        ("max_connections", str(max_connections)),
        ("ssl", "on"),
        ("ssl_cert_file", f"'{cert}'"),
        ("ssl_key_file", f"'{key}'"),
        ("ssl_ca_file", f"'{ca}'"),
        ("ssl_min_protocol_version", "'TLSv1.2'"),
        ("fsync", "off"),
        ("synchronous_commit", "off"),
        ("full_page_writes", "off"),
        ("shared_buffers", "32MB"),
        # Segments live in the data directory, removed with it even when a drill SIGKILLs the server
        # (posix segments in /dev/shm outlive a killed postmaster).
        ("dynamic_shared_memory_type", "mmap"),
        ("log_min_messages", "warning"),
    ]


def render_settings(settings: list[tuple[str, str]]) -> str:
    return "".join(f"{k} = {v}\n" for k, v in settings)


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
        settings = server_settings(
            listen="127.0.0.1", port=self.port, cert=str(self.certs.server_cert), key=str(key),
            ca=str(self.certs.ca), max_connections=self.config.max_connections,
        )
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("\n# sprint-signoff\n" + render_settings(settings))

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
