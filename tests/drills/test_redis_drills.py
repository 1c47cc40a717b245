"""Redis killed, paused and restarted under the breaker, the session store and the limiter.

One disposable TLS Redis per drill; clients with 0.5 s connect/command timeouts (the
reference client bounds the TLS handshake too); the breaker at its defaults (5 failures
in 60 s, 30 s recovery) on a ManualClock, moved by hand instead of sleeping 30 s.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from harness.redis.client import create_client
from harness.redis.limiter import SlidingWindowLimiter
from harness.redis.protocols import Limit
from harness.redis.session import SessionStore
from harness.resilience import BreakerConfig, CircuitBreaker, ManualClock, State, Transition

from .faults import Fault, heal, inject

pytestmark = pytest.mark.drill

TIMEOUT_S = 0.5
OUTAGE_CREATES = 8  # > failure_threshold: the last ones are rejected by the open breaker
LIMIT = Limit(3, 60.0)

# One limiter fallback policy per fault, so each policy is drilled once.
CASES = [(Fault.KILL, "closed"), (Fault.PAUSE, "local"), (Fault.RESTART, "open")]


@pytest.mark.parametrize(("fault", "policy"), CASES, ids=[f"{f.value}-{p}" for f, p in CASES])
def test_redis_fault_breaker_sessions_limiter(disposable_redis: Callable[..., Any], fault: Fault,
                                              policy: str) -> None:
    """Breaker opens and recovers, outage sessions are served from memory and written back,
    the limiter follows its fallback policy and its Redis decisions resume."""
    server = disposable_redis()
    clock = ManualClock()
    breaker = CircuitBreaker(BreakerConfig(name=f"drill-{fault.value}"), clock=clock)
    transitions: list[Transition] = []
    breaker.add_listener(transitions.append)
    client = create_client(replace(server.settings, connect_timeout=TIMEOUT_S, command_timeout=TIMEOUT_S))
    prefix = f"drill:{uuid.uuid4().hex[:8]}:"
    store = SessionStore(client, breaker, prefix=prefix + "session:")
    limiter = SlidingWindowLimiter(client, breaker, default=LIMIT, fallback=policy,  # type: ignore[arg-type]
                                   prefix=prefix + "rl:")
    raw = server.server.client()

    before = store.create()
    assert store.get(before.id) is not None
    assert limiter.check("warm", "/r").source == "redis"

    inject(fault, server.server)
    t0 = time.monotonic()
    during = [store.create() for _ in range(OUTAGE_CREATES)]
    outage_s = time.monotonic() - t0
    # Bounded: 5 counted failures at most TIMEOUT_S (connect + command) each, then instant rejections.
    assert outage_s < 5 * 2 * TIMEOUT_S + 2.0, f"{OUTAGE_CREATES} creates took {outage_s:.1f} s during the outage"
    assert breaker.state is State.OPEN, f"breaker {breaker.state} after {OUTAGE_CREATES} failed creates"
    t1 = time.monotonic()
    read_back = [store.get(s.id) for s in during]
    assert time.monotonic() - t1 < 0.5, "reads while OPEN must be rejected at once, not wait for Redis"
    assert [s.id if s else None for s in read_back] == [s.id for s in during], "outage sessions unreadable"
    m = store.metrics()
    assert m["degraded"] and m["pending"] == OUTAGE_CREATES and m["fallback_creates"] == OUTAGE_CREATES

    decisions = [limiter.check("client", "/r") for _ in range(LIMIT.requests + 2)]
    sources = {d.source for d in decisions}
    allowed = [d.allowed for d in decisions]
    assert sources == {policy}, f"fallback {policy!r} expected, decisions came from {sources}"
    if policy == "closed":
        assert not any(allowed) and all(d.retry_after_s == LIMIT.window_s for d in decisions)
    elif policy == "open":
        assert all(allowed)
    else:  # local window: the limit still holds inside this process
        assert allowed == [True] * LIMIT.requests + [False, False]
    assert limiter.metrics()["fallback_decisions"] == len(decisions)

    heal(fault, server.server)
    # Healed, but the breaker stays OPEN until the recovery timeout: no call reaches Redis yet.
    assert limiter.check("client", "/r").source == policy
    assert breaker.state is State.OPEN
    clock.advance(BreakerConfig().recovery_timeout_s)

    after = store.create()  # the half-open probe: succeeds, closes, then writes back the pending sessions
    assert breaker.state is State.CLOSED  # type: ignore[comparison-overlap]
    m = store.metrics()
    assert (m["pending"], m["synced"], m["evicted_pending"], m["expired_pending"]) == (0, OUTAGE_CREATES, 0, 0), m
    assert not store.degraded
    for session in during:  # none lost: every outage session is in Redis now, with a TTL
        ttl = raw.ttl(prefix + "session:" + session.id)
        assert 0 < ttl <= store.ttl_s, f"session {session.id} not written back (TTL {ttl})"
        got = store.get(session.id)
        assert got is not None and got.created_at == session.created_at
    assert store.get(after.id) is not None
    if fault is Fault.PAUSE:  # the server kept its data: sessions from before the outage survive
        assert store.get(before.id) is not None
    # Decisions resume on Redis (the script is reloaded after a kill/restart: NOSCRIPT).
    resumed = limiter.check("client-after", "/r")
    assert resumed.source == "redis" and resumed.allowed and resumed.remaining == LIMIT.requests - 1
    assert not limiter.metrics()["in_fallback"]
    path = [(t.from_state, t.to_state) for t in transitions]
    assert path == [(State.CLOSED, State.OPEN), (State.OPEN, State.HALF_OPEN), (State.HALF_OPEN, State.CLOSED)], path
    raw.close()
