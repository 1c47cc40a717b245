"""The reference Redis client factory: TLS only, verified, with bounded connect and command time.

The plan's settings are ``REDIS_HOST``, ``REDIS_PORT``, ``REDIS_PASSWORD``,
``REDIS_TLS_ENABLED``, ``REDIS_TLS_CA_PATH``, ``REDIS_TLS_CERT_PATH`` and
``REDIS_TLS_KEY_PATH``. redis-py bounds the TLS handshake by the *command* timeout;
here the whole connection set-up (TCP + TLS handshake) is bounded by the connect
timeout, which is what "connection timeout 5 s" means to an operator.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

CONNECT_TIMEOUT_S = 5.0
COMMAND_TIMEOUT_S = 10.0


class ConfigurationError(ValueError):
    """The Redis settings are unusable (missing CA, TLS disabled, ...)."""


@dataclass(frozen=True)
class RedisSettings:
    host: str
    port: int
    password: str | None = None
    ca_path: str | None = None
    cert_path: str | None = None
    key_path: str | None = None
    db: int = 0
    tls: bool = True
    connect_timeout: float = CONNECT_TIMEOUT_S
    command_timeout: float = COMMAND_TIMEOUT_S

    @property
    def url(self) -> str:
        """The password-free URL of this target (what logs and reports may show)."""
        return f"{'rediss' if self.tls else 'redis'}://{self.host}:{self.port}/{self.db}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RedisSettings:
        env = os.environ if env is None else env
        return cls(
            host=env.get("REDIS_HOST", "localhost"),
            port=int(env.get("REDIS_PORT", "6379")),
            password=env.get("REDIS_PASSWORD") or None,
            ca_path=env.get("REDIS_TLS_CA_PATH") or None,
            cert_path=env.get("REDIS_TLS_CERT_PATH") or None,
            key_path=env.get("REDIS_TLS_KEY_PATH") or None,
            db=int(env.get("REDIS_DB", "0")),
            tls=env.get("REDIS_TLS_ENABLED", "true").lower() in ("1", "true", "yes"),
        )


class _BoundedHandshakeConnection(redis.SSLConnection):
    """An SSL connection whose TLS handshake is bounded by the connect timeout."""

    def _connect(self) -> socket.socket:
        command_timeout = self.socket_timeout
        self.socket_timeout = self.socket_connect_timeout
        try:
            sock: socket.socket = super()._connect()  # type: ignore[no-untyped-call]
        finally:
            self.socket_timeout = command_timeout
        sock.settimeout(command_timeout)
        return sock


def create_client(settings: RedisSettings, **overrides: Any) -> redis.Redis:
    """A verified TLS client. Refuses to build a plaintext one."""
    if not settings.tls:
        raise ConfigurationError("REDIS_TLS_ENABLED is false: the harness only builds rediss:// clients")
    if not settings.ca_path:
        raise ConfigurationError("REDIS_TLS_CA_PATH is not set: the server's certificate could not be verified")
    if bool(settings.cert_path) != bool(settings.key_path):
        raise ConfigurationError("set both REDIS_TLS_CERT_PATH and REDIS_TLS_KEY_PATH for mutual TLS, or neither")
    pool = redis.ConnectionPool(
        connection_class=_BoundedHandshakeConnection,
        host=settings.host,
        port=settings.port,
        db=settings.db,
        password=settings.password,
        ssl_ca_certs=settings.ca_path,
        ssl_certfile=settings.cert_path,
        ssl_keyfile=settings.key_path,
        ssl_cert_reqs="required",
        ssl_check_hostname=True,
        socket_connect_timeout=settings.connect_timeout,
        socket_timeout=settings.command_timeout,
        # The circuit breaker decides about retries; hidden retries multiply timeouts.
        retry=Retry(NoBackoff(), 0),
        **overrides,
    )
    client = redis.Redis(connection_pool=pool, retry=Retry(NoBackoff(), 0))
    # The pool is this client's alone: close() must close its sockets too (redis-py leaves a pool it
    # was given open, and the TLS sockets then linger until garbage collection).
    client.auto_close_connection_pool = True
    return client
