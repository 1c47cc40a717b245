"""WIL-1.2-005 Redis TLS Connection Configuration.

The client under test comes from the ``redis_client`` role: a factory taking
``RedisSettings`` (default: harness.redis.client:create_client). Timeouts are
checked twice: the configured defaults, and the behaviour with scaled values.
"""

from __future__ import annotations

import dataclasses
import socket
import ssl
import time
from pathlib import Path
from typing import Any

import pytest
import redis
import trustme

from fixtures.listeners import SilentListener
from harness.infra import Stack
from harness.redis.client import COMMAND_TIMEOUT_S, CONNECT_TIMEOUT_S, RedisSettings


@pytest.fixture(scope="session")
def client_factory(implementation: Any) -> Any:
    return implementation("redis_client")


@pytest.fixture(scope="module")
def wrong_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wrong-ca") / "wrong-ca.pem"
    trustme.CA(organization_name="not the server's CA").cert_pem.write_to_path(str(path))
    return path


def tls_socket(client: redis.Redis) -> Any:
    conn = client.connection_pool.get_connection()
    try:
        return conn._sock  # noqa: SLF001 - the negotiated session lives on the socket
    finally:
        client.connection_pool.release(conn)


def plaintext_ping(host: str, port: int) -> bytes:
    """Send a plaintext PING; return what came back (b'' when the server hangs up)."""
    with socket.create_connection((host, port), timeout=3) as sock:
        sock.sendall(b"PING\r\n")
        try:
            return sock.recv(64)
        except (ConnectionResetError, TimeoutError):
            return b""


@pytest.mark.criterion("WIL-1.2-005/AC1")
def test_factory_builds_tls_clients_only(client_factory: Any, redis_config: RedisSettings, evidence) -> None:
    """The URL is rediss:// and the client's connections are TLS connections."""
    evidence.text("configured URL", redis_config.url)
    assert redis_config.url.startswith("rediss://"), "REDIS_TLS_ENABLED is not true: the URL is redis://"
    client = client_factory(redis_config)
    try:
        assert client.ping()
        sock = tls_socket(client)
        evidence.text("client socket", type(sock).__name__)
        assert isinstance(sock, ssl.SSLSocket), "the client's connection is not TLS"
    finally:
        client.close()


@pytest.mark.criterion("WIL-1.2-005/AC1")
def test_server_refuses_plaintext(stack: Stack, raw_redis: redis.Redis, evidence) -> None:
    """Plaintext to the TLS port gets nothing, and no plaintext port is configured (CONFIG GET port = 0)."""
    answer = plaintext_ping(stack.redis.host, stack.redis.port)
    evidence.text("plaintext PING to the TLS port answered", repr(answer))
    assert b"PONG" not in answer and not answer.startswith(b"-"), "the TLS port speaks plaintext"
    try:
        port = raw_redis.config_get("port").get("port")
    except redis.ResponseError as exc:
        pytest.skip(f"CONFIG is not permitted on this target ({exc}): a plaintext port cannot be ruled out")
    evidence.text("CONFIG GET port", str(port))
    if port not in ("0", 0):
        answer = plaintext_ping(stack.redis.host, int(port))
        evidence.text(f"plaintext PING to port {port}", repr(answer))
    assert port in ("0", 0), f"Redis also listens in plaintext on port {port}"


@pytest.mark.criterion("WIL-1.2-005/AC2")
def test_configured_ca_verifies_and_wrong_ca_is_refused(
    client_factory: Any, redis_config: RedisSettings, wrong_ca: Path, evidence
) -> None:
    """The configured CA verifies the server; the same client with another CA is refused."""
    assert redis_config.ca_path and Path(redis_config.ca_path).is_file(), "REDIS_TLS_CA_PATH is not a file"
    good = client_factory(redis_config)
    try:
        assert good.ping()
    finally:
        good.close()
    bad = client_factory(dataclasses.replace(redis_config, ca_path=str(wrong_ca)))
    try:
        with pytest.raises(redis.ConnectionError) as refused:
            bad.ping()
    finally:
        bad.close()
    evidence.text("wrong CA", str(refused.value))
    assert "certificate verify failed" in str(refused.value).lower() or "certificate" in str(refused.value).lower()


@pytest.mark.criterion("WIL-1.2-005/AC3")
def test_mutual_tls_client_certificate(client_factory: Any, redis_config: RedisSettings, evidence) -> None:
    """With mutual TLS configured the certificate is presented, and a client without one is refused."""
    if not (redis_config.cert_path and redis_config.key_path):
        pytest.skip("mutual TLS is not configured (REDIS_TLS_CERT_PATH/KEY_PATH unset): criterion not applicable here")
    with_cert = client_factory(redis_config)
    try:
        assert with_cert.ping()
    finally:
        with_cert.close()
    without = client_factory(dataclasses.replace(redis_config, cert_path=None, key_path=None))
    try:
        with pytest.raises(redis.ConnectionError) as refused:
            without.ping()
    finally:
        without.close()
    evidence.text("client without certificate", str(refused.value))


def configured(client_factory: Any, settings: RedisSettings, kwarg: str) -> object:
    """A connection setting as the factory configured it."""
    client = client_factory(settings)
    try:
        return client.connection_pool.connection_kwargs.get(kwarg)
    finally:
        client.close()


@pytest.mark.criterion("WIL-1.2-005/AC4")
def test_connect_timeout_default_is_5s(client_factory: Any, redis_config: RedisSettings, evidence) -> None:
    """The factory's default connection timeout is 5 seconds."""
    assert RedisSettings(host="x", port=1).connect_timeout == CONNECT_TIMEOUT_S == 5
    value = configured(client_factory, redis_config, "socket_connect_timeout")
    evidence.text("socket_connect_timeout", str(value))
    assert value == 5


@pytest.mark.criterion("WIL-1.2-005/AC4")
def test_connect_timeout_bounds_a_silent_server(
    client_factory: Any, redis_config: RedisSettings, silent_listener: SilentListener, evidence
) -> None:
    """Against a server that accepts and never answers (no TLS handshake), connecting gives up
    after the connect timeout, not the command timeout."""
    settings = dataclasses.replace(redis_config, host="127.0.0.1", port=silent_listener.port,
                                   connect_timeout=0.5, command_timeout=4.0)
    client = client_factory(settings)
    start = time.perf_counter()
    try:
        with pytest.raises((redis.ConnectionError, redis.TimeoutError)):
            client.ping()
    finally:
        elapsed = time.perf_counter() - start
        client.close()
    evidence.text("gave up after", f"{elapsed:.2f} s (connect timeout 0.5 s, command timeout 4 s)")
    assert elapsed < 2.0, f"connecting took {elapsed:.1f} s: the connect timeout does not bound the handshake"


@pytest.mark.criterion("WIL-1.2-005/AC5")
def test_command_timeout_default_is_10s(client_factory: Any, redis_config: RedisSettings, evidence) -> None:
    """The factory's default command timeout is 10 seconds."""
    assert RedisSettings(host="x", port=1).command_timeout == COMMAND_TIMEOUT_S == 10
    value = configured(client_factory, redis_config, "socket_timeout")
    evidence.text("socket_timeout", str(value))
    assert value == 10


@pytest.mark.criterion("WIL-1.2-005/AC5")
def test_command_timeout_bounds_a_hung_server(client_factory: Any, disposable_redis: Any, evidence) -> None:
    """A command to a paused (SIGSTOP) server fails after the command timeout."""
    server = disposable_redis()
    client = client_factory(dataclasses.replace(server.settings, command_timeout=0.5, connect_timeout=2.0))
    try:
        assert client.ping()
        server.pause()
        start = time.perf_counter()
        try:
            with pytest.raises((redis.TimeoutError, redis.ConnectionError)):
                client.ping()
        finally:
            elapsed = time.perf_counter() - start
            server.resume()
    finally:
        client.close()
    evidence.text("command gave up after", f"{elapsed:.2f} s (command timeout 0.5 s)")
    assert elapsed < 2.5, f"the command hung for {elapsed:.1f} s"


@pytest.mark.criterion("WIL-1.2-005/AC6")
def test_ping_over_tls(client_factory: Any, redis_config: RedisSettings, evidence, signoff_environment) -> None:
    """PING answers over the verified TLS connection; the negotiated version and cipher are recorded."""
    client = client_factory(redis_config)
    try:
        assert client.ping() is True
        sock = tls_socket(client)
        version, cipher = sock.version(), sock.cipher()
        info = client.info("server")
    finally:
        client.close()
    evidence.json("TLS session", {"version": version, "cipher": cipher[0] if cipher else None,
                                  "bits": cipher[2] if cipher else None, "redis_version": info.get("redis_version")})
    signoff_environment["tls_redis"] = f"{version} {cipher[0] if cipher else ''}"
    assert version in ("TLSv1.2", "TLSv1.3")
