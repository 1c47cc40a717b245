"""The reference session store and limiter against a real (disposable) Redis: outages,
script reloads, bounds and lifetime caps that the criteria do not name one by one."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis

from fixtures.redislayer import make_breaker
from harness.redis.client import RedisSettings, create_client
from harness.redis.limiter import SlidingWindowLimiter
from harness.redis.protocols import Limit
from harness.redis.session import SessionStore
from harness.resilience import State


def fast_client(settings: RedisSettings) -> redis.Redis:
    return create_client(RedisSettings(**{**settings.__dict__, "connect_timeout": 1.0, "command_timeout": 1.0}))


@pytest.fixture
def server(disposable_redis: Callable[..., Any]) -> Any:
    return disposable_redis()


@pytest.mark.parametrize("policy", ["local", "open", "closed"])
def test_limiter_fallback_policy_is_explicit_and_counted(server: Any, policy: str,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    client = fast_client(server.settings)
    breaker = make_breaker(failure_threshold=2, recovery_timeout_s=0.2)
    lim = SlidingWindowLimiter(client, breaker, default=Limit(2, 60.0), fallback=policy)  # type: ignore[arg-type]
    assert lim.check("s", "/r").source == "redis"
    server.kill()
    with caplog.at_level(logging.WARNING, logger="harness.redis.limiter"):
        decisions = [lim.check("s", "/r") for _ in range(4)]
    assert {d.source for d in decisions} == {policy}
    expected = {"local": [True, True, False, False], "open": [True] * 4, "closed": [False] * 4}[policy]
    assert [d.allowed for d in decisions] == expected
    m = lim.metrics()
    assert m["in_fallback"] and m["fallback_decisions"] == 4 and m["redis_errors"] + m["breaker_rejections"] == 4
    assert breaker.state is State.OPEN
    assert sum("fallback policy" in r.getMessage() for r in caplog.records) == 1, "switch logged once"
    server.restart()
    time.sleep(0.3)
    back = lim.check("s", "/r")
    assert back.source == "redis" and not lim.metrics()["in_fallback"]
    assert lim.metrics()["script_loads"] == 2, "NOSCRIPT after the restart was not handled by reloading"
    client.close()


def test_limiter_reloads_after_script_flush_and_keys_expire(server: Any) -> None:
    client = create_client(server.settings)
    lim = SlidingWindowLimiter(client, make_breaker(), default=Limit(5, 0.3))
    lim.check("s", "/r")
    raw = server.server.client()
    raw.script_flush()
    assert lim.check("s", "/r").allowed and lim.metrics()["script_loads"] == 2
    assert 0 < raw.pttl("ratelimit:s:/r") <= 300
    time.sleep(0.45)
    assert not raw.exists("ratelimit:s:/r"), "an idle window key must expire with its window"
    raw.close()
    client.close()


def test_limiter_does_not_hide_redis_errors(server: Any) -> None:
    """A WRONGTYPE reply is a bug, not an outage: raised, not counted by the breaker, no fallback."""
    client = create_client(server.settings)
    breaker = make_breaker(failure_threshold=1)
    lim = SlidingWindowLimiter(client, breaker)
    client.set("ratelimit:s:/r", "not a sorted set")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        lim.check("s", "/r")
    assert breaker.state is State.CLOSED and lim.metrics()["fallback_decisions"] == 0
    client.close()


def test_session_fallback_is_bounded_and_eviction_is_not_silent(server: Any,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    client = fast_client(server.settings)
    store = SessionStore(client, make_breaker(failure_threshold=1, recovery_timeout_s=60), fallback_max=2)
    server.kill()
    with caplog.at_level(logging.WARNING, logger="harness.redis.session"):
        first, second, third = store.create(), store.create(), store.create()
    m = store.metrics()
    assert m["degraded"] and m["fallback_size"] == 2 and m["evicted_pending"] == 1 and m["pending"] == 2
    assert any("evicted an unsynced session" in r.getMessage() for r in caplog.records)
    assert store.get(first.id) is None
    assert store.get(second.id) is not None and store.get(third.id) is not None
    client.close()


def test_session_fallback_entries_expire(server: Any) -> None:
    now = [1_000_000.0]
    client = fast_client(server.settings)
    store = SessionStore(client, make_breaker(failure_threshold=1, recovery_timeout_s=60), ttl_s=60,
                         clock=lambda: now[0])
    server.kill()
    session = store.create()
    now[0] += 30
    assert store.get(session.id) is not None  # touched: idle timer restarts
    now[0] += 61
    assert store.get(session.id) is None
    assert store.metrics()["expired_pending"] == 1 and not store.metrics()["pending"]
    client.close()


def test_session_absolute_lifetime_cap(server: Any) -> None:
    now = [time.time()]
    client = create_client(server.settings)
    store = SessionStore(client, make_breaker(), ttl_s=3600, max_lifetime_s=7200, clock=lambda: now[0])
    session = store.create()
    raw = server.server.client()
    now[0] += 7200 - 100  # used all along; 100 s of life left
    assert store.get(session.id) is not None
    assert 0 < raw.ttl("session:" + session.id) <= 100, "idle TTL outlives the absolute cap"
    now[0] += 100
    assert store.get(session.id) is None
    assert not raw.exists("session:" + session.id)
    raw.close()
    client.close()


def test_session_value_that_is_not_ours_is_unknown(server: Any) -> None:
    client = create_client(server.settings)
    store = SessionStore(client, make_breaker())
    sid = "0b0c5e5e-1d1e-4c1a-9a6e-8f2b3c4d5e6f"
    client.set("session:" + sid, "garbage")
    assert store.get(sid) is None
    client.close()
