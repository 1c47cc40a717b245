"""Redis client factories with one planted defect each (for the 005 self-tests)."""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from harness.redis.client import RedisSettings, create_client


def plaintext_client(settings: RedisSettings) -> redis.Redis:
    """The plan's factory when REDIS_TLS_ENABLED is not 'true': no TLS at all."""
    return redis.Redis(host=settings.host, port=settings.port, password=settings.password, db=settings.db,
                       socket_connect_timeout=settings.connect_timeout, socket_timeout=settings.command_timeout,
                       retry=Retry(NoBackoff(), 0))


def unverified_client(settings: RedisSettings) -> redis.Redis:
    """The reference factory with certificate checking switched off (rejectUnauthorized: false)."""
    client = create_client(settings)
    client.connection_pool.connection_kwargs.update(ssl_cert_reqs="none", ssl_check_hostname=False)
    return client


def stock_client(settings: RedisSettings) -> redis.Redis:
    """Verified TLS with redis-py's stock connection: the TLS handshake waits for the command timeout.

    (Retries are off so that only the handshake defect shows; redis-py's default retries
    would also multiply the command timeout.)
    """
    return redis.Redis(host=settings.host, port=settings.port, password=settings.password, db=settings.db, ssl=True,
                       ssl_ca_certs=settings.ca_path, ssl_certfile=settings.cert_path, ssl_keyfile=settings.key_path,
                       socket_connect_timeout=settings.connect_timeout, socket_timeout=settings.command_timeout,
                       retry=Retry(NoBackoff(), 0))
