"""Lifecycle of a Redis 7 server listening on TLS only, with a password."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import redis

from .binaries import require
from .certs import CertPaths
from .process import ServerProcess


@dataclass(frozen=True)
class RedisConfig:
    tls_port: int
    password: str
    mutual_tls: bool = True
    plaintext_port: int = 0  # non-zero opens a plaintext port: a planted defect
    maxmemory: str = "0"
    maxmemory_policy: str = "noeviction"


def redis_settings(
    c: RedisConfig, *, cert: str, key: str, ca: str, directory: str, bind: str = "127.0.0.1"
) -> list[tuple[str, str]]:
    """redis.conf directives shared by every provider; only the bind address and file paths differ."""
    return [
        ("bind", bind),
        ("port", str(c.plaintext_port)),
        ("tls-port", str(c.tls_port)),
        ("tls-cert-file", cert),
        ("tls-key-file", key),
        ("tls-ca-cert-file", ca),
        ("tls-auth-clients", "yes" if c.mutual_tls else "no"),
        ("requirepass", c.password),
        ("dir", directory),
        ("save", '""'),
        ("appendonly", "no"),
        ("maxmemory", c.maxmemory),
        ("maxmemory-policy", c.maxmemory_policy),
        ("daemonize", "no"),
        ("loglevel", "warning"),
    ]


def render_conf(settings: list[tuple[str, str]]) -> str:
    return "".join(f"{k} {v}\n" for k, v in settings)


class RedisServer:
    def __init__(self, root: Path, certs: CertPaths, config: RedisConfig) -> None:
        self.root = root
        self.certs = certs
        self.config = config
        self.process: ServerProcess | None = None

    @property
    def port(self) -> int:
        return self.config.tls_port

    def write_config(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        c = self.config
        conf = self.root / "redis.conf"
        # Absolute paths: Redis resolves relative ones after changing into `dir`.
        conf.write_text(render_conf(redis_settings(
            c, cert=str(self.certs.server_cert.resolve()), key=str(self.certs.server_key.resolve()),
            ca=str(self.certs.ca.resolve()), directory=str(self.root.resolve()),
        )))
        conf.chmod(0o600)
        return conf

    def client(self, **overrides: object) -> redis.Redis:
        kwargs: dict[str, object] = {
            "host": "127.0.0.1", "port": self.port, "password": self.config.password, "ssl": True,
            "ssl_ca_certs": str(self.certs.ca), "ssl_certfile": str(self.certs.client_cert),
            "ssl_keyfile": str(self.certs.client_key), "socket_connect_timeout": 2, "socket_timeout": 2,
        }
        kwargs.update(overrides)
        return redis.Redis(**kwargs)  # type: ignore[arg-type]

    def start(self) -> None:
        self.spawn()
        self.wait_ready()

    def spawn(self) -> None:
        conf = self.write_config()
        self.process = ServerProcess(
            "redis-server", [require("redis-server", "redis-server"), str(conf)],
            log_path=self.root / "redis.log",
        )
        self.process.spawn()

    def wait_ready(self, timeout: float = 15.0) -> None:
        assert self.process is not None
        self.process.wait_ready(self._ready, timeout=timeout)

    def _ready(self) -> bool:
        client = self.client()
        try:
            return bool(client.ping())
        finally:
            client.close()

    def version(self) -> str:
        client = self.client()
        try:
            return str(client.info("server")["redis_version"])
        finally:
            client.close()

    def stop(self) -> None:
        if self.process:
            self.process.stop()
