"""Run the compose stack's own files (certs script, generated configs, entrypoints, init script) on this
machine's servers, with in-container paths mapped to a private directory. No engine needed: what is left
untested is only what the images add (their entrypoints, users and paths) — see docs/docker.md."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from harness.infra.binaries import pg_bindir, require
from harness.infra.local import free_port
from harness.infra.process import RunAs, ServerProcess

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"


def gen_certs(directory: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", str(DOCKER / "gen-certs.sh")], env={**os.environ, "CERTS_DIR": str(directory), **env},
                          capture_output=True, text=True, timeout=60, check=False)


def mapped(path: Path, mapping: dict[str, str]) -> str:
    """A committed docker/ file with its in-container locations replaced (longest first)."""
    text = path.read_text(encoding="utf-8")
    for old in sorted(mapping, key=len, reverse=True):
        text = text.replace(old, mapping[old])
    return text


@dataclass
class FilesStack:
    """PostgreSQL, PgBouncer and Redis configured by the docker/ files, as child processes."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="signoff-compose-files-")))
    processes: list[ServerProcess] = field(default_factory=list)
    postgres_password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    app_password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    redis_password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    pg_port: int = field(default_factory=free_port)
    pgbouncer_port: int = field(default_factory=free_port)
    redis_port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        self.root.chmod(0o755)
        self.certs = self.root / "certs"
        self.certs.mkdir()
        self.run_as = RunAs.for_current_process()
        assert self.run_as is not None, "root only (the entrypoints install files owned by the service users)"
        self.run_as.chown(self.certs)  # gen-certs.sh hands the files to the directory's owner

    def path(self, name: str) -> Path:
        p = self.root / name
        p.mkdir(parents=True, exist_ok=True)
        return p

    def conninfo(self, port: int, user: str, password: str, dbname: str, **extra: str) -> str:
        params = {"sslmode": "verify-full", "sslrootcert": str(self.certs / "ca.pem"), "connect_timeout": "3", **extra}
        return psycopg.conninfo.make_conninfo(host="127.0.0.1", port=port, user=user, password=password,
                                              dbname=dbname, **params)

    def start(self) -> None:
        done = gen_certs(self.certs)
        assert done.returncode == 0, done.stderr
        self._postgres()
        self._pgbouncer()
        self._redis()

    def _postgres(self) -> None:
        assert self.run_as is not None
        pg = self.path("pg")
        tls, sock, data, etc = self.path("pg-tls"), self.path("pg-sock"), pg / "data", self.path("pg-etc")
        self.run_as.chown(pg, sock, etc)
        # docker/postgres/entrypoint.sh's copy step: the image's entrypoint it hands over to is not here.
        env = {**os.environ, "SIGNOFF_TLS_DIR": str(tls), "SIGNOFF_CERTS_IN": str(self.certs)}
        copy = subprocess.run(["sh", "-c", _before_exec(DOCKER / "postgres/entrypoint.sh")], env=env,
                              capture_output=True, text=True, timeout=30, check=False)
        assert copy.returncode == 0, copy.stderr
        pwfile = pg / "pw"
        pwfile.write_text(self.postgres_password + "\n")
        self.run_as.chown(pwfile)
        as_pg = {"user": self.run_as.uid, "group": self.run_as.gid, "extra_groups": []}
        subprocess.run([str(pg_bindir() / "initdb"), "-D", str(data), "-U", "postgres", f"--pwfile={pwfile}",
                        "--no-sync", "--auth=scram-sha-256", "--no-instructions"], check=True, capture_output=True,
                       timeout=120, **as_pg)  # type: ignore[call-overload]
        conf = etc / "postgresql.conf"
        conf.write_text(mapped(DOCKER / "postgres/postgresql.conf", {
            "/run/signoff-tls": str(tls), "/var/run/postgresql": str(sock), "/etc/postgresql": str(etc),
            "'*'": "'127.0.0.1'", "port = 5432": f"port = {self.pg_port}"}))
        shutil.copyfile(DOCKER / "postgres/pg_hba.conf", etc / "pg_hba.conf")
        self.run_as.chown(conf, etc / "pg_hba.conf")
        proc = ServerProcess("postgres", [str(pg_bindir() / "postgres"), "-D", str(data), "-c",
                                          f"config_file={conf}"], log_path=pg / "log", run_as=self.run_as,
                             stop_signal=signal.SIGINT)
        (pg / "log").touch()
        self.run_as.chown(pg / "log")
        self.processes.append(proc)
        proc.start(lambda: bool(psycopg.connect(self.conninfo(self.pg_port, "postgres", self.postgres_password,
                                                               "postgres")).close() or True), timeout=30)
        # The image runs /docker-entrypoint-initdb.d/* as the postgres OS user over the socket (peer auth).
        init = subprocess.run(["sh", str(DOCKER / "postgres/initdb/10-app-role.sh")],
                              env={"PATH": os.environ["PATH"], "PGHOST": str(sock), "PGPORT": str(self.pg_port),
                                   "APP_DB_PASSWORD": self.app_password},
                              capture_output=True, text=True, timeout=60, check=False, **as_pg)  # type: ignore[call-overload]
        assert init.returncode == 0, init.stderr

    def _pgbouncer(self) -> None:
        tls, run, etc = self.root / "pgb-tls", self.root / "pgb-run", self.path("pgb-etc")
        ini = etc / "pgbouncer.ini"
        ini.write_text(mapped(DOCKER / "pgbouncer/pgbouncer.ini", {
            "/run/signoff-tls": str(tls), "/run/pgbouncer": str(run), "host=postgres": "host=127.0.0.1",
            "port=5432": f"port={self.pg_port}", "0.0.0.0": "127.0.0.1",
            "listen_port = 6432": f"listen_port = {self.pgbouncer_port}"}))
        env = {**os.environ, "SIGNOFF_TLS_DIR": str(tls), "SIGNOFF_CERTS_IN": str(self.certs),
               "PGBOUNCER_RUN_DIR": str(run), "PGBOUNCER_INI": str(ini), "APP_DB_PASSWORD": self.app_password,
               "POSTGRES_PASSWORD": self.postgres_password, "PGBOUNCER_ADMIN_PASSWORD": self.admin_password,
               "PATH": f"{Path(require('pgbouncer', 'pgbouncer')).parent}:{os.environ['PATH']}"}
        proc = ServerProcess("pgbouncer", ["sh", str(DOCKER / "pgbouncer/entrypoint.sh")],
                             log_path=self.root / "pgbouncer.log", env=env, stop_signal=signal.SIGINT)
        self.processes.append(proc)
        proc.start(lambda: bool(self.pooled_select()), timeout=20)

    def pooled_select(self) -> int:
        with psycopg.connect(self.conninfo(self.pgbouncer_port, "docling_app", self.app_password, "docling_db"),
                             prepare_threshold=None) as conn:
            row = conn.execute("select 1").fetchone()
        return int(row[0]) if row else 0

    def _redis(self, auth_clients: str = "yes") -> None:
        tls, data, shim = self.root / "redis-tls", self.path("redis-data"), self.path("shim")
        # Stand-in for the image's docker-entrypoint.sh (which only drops to the redis user): run the command.
        (shim / "docker-entrypoint.sh").write_text('#!/bin/sh\nexec "$@"\n')
        (shim / "docker-entrypoint.sh").chmod(0o755)
        template = self.path("redis-etc") / "redis.conf"
        template.write_text(mapped(DOCKER / "redis/redis.conf", {
            "/run/signoff-tls": str(tls), "dir /data": f"dir {data}", "0.0.0.0": "127.0.0.1",
            "tls-port 6380": f"tls-port {self.redis_port}"}))
        env = self.redis_env(tls, template, shim, auth_clients)
        proc = ServerProcess("redis", ["sh", str(DOCKER / "redis/entrypoint.sh")], log_path=self.root / "redis.log",
                             env=env, cwd=data)
        self.processes.append(proc)
        proc.start(lambda: bool(self.redis_client().ping()), timeout=20)

    def redis_env(self, tls: Path, template: Path, shim: Path, auth_clients: str) -> dict[str, str]:
        redis_bin = Path(require("redis-server", "redis-server")).parent
        return {**os.environ, "SIGNOFF_TLS_DIR": str(tls), "SIGNOFF_CERTS_IN": str(self.certs),
                "REDIS_CONF_TEMPLATE": str(template), "REDIS_PASSWORD": self.redis_password,
                "REDIS_TLS_AUTH_CLIENTS": auth_clients, "PATH": f"{shim}:{redis_bin}:{os.environ['PATH']}"}

    def redis_client(self, *, client_cert: bool = True, password: bool = True):  # type: ignore[no-untyped-def]
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # No retries: a refusal must surface at once, not after redis-py's retry rounds.
        kwargs: dict[str, object] = {"host": "127.0.0.1", "port": self.redis_port, "ssl": True,
                                     "ssl_ca_certs": str(self.certs / "ca.pem"), "socket_timeout": 3,
                                     "socket_connect_timeout": 3, "retry": Retry(NoBackoff(), 0)}
        if password:
            kwargs["password"] = self.redis_password
        if client_cert:
            kwargs.update(ssl_certfile=str(self.certs / "client.crt"), ssl_keyfile=str(self.certs / "client.key"))
        return redis.Redis(**kwargs)  # type: ignore[arg-type]

    def stop(self) -> None:
        for proc in reversed(self.processes):
            try:
                proc.stop()
            except Exception:  # noqa: BLE001 - keep stopping the others
                pass
        shutil.rmtree(self.root, ignore_errors=True)


def _before_exec(script: Path) -> str:
    """The script up to its final `exec` (the part that is ours, not the image's)."""
    lines = script.read_text(encoding="utf-8").splitlines()
    return "\n".join(l for l in lines if not l.startswith("exec "))
