"""WIL-1.2-006 Redis Circuit Breaker: the breaker under test guards real calls to a real TLS Redis.

Each test has a disposable Redis of its own (stopped, paused and restarted at will)
and a client from the reference factory with 0.5 s connect/command timeouts. Time
inside the breaker comes from a manual clock, so the 30 s and 60 s boundaries are
crossed without sleeping. ``--impl breaker=module:Class`` judges another class.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis

from fixtures.breaker import GuardedTarget, as_state, state_of, transition_records
from fixtures.breaker_stampede import Stampede, stampede_tasks, stampede_threads
from harness.redis.client import create_client
from harness.resilience import FALLBACKS, BreakerConfig, GuardedRedis, ManualClock, State

C, O, H = State.CLOSED, State.OPEN, State.HALF_OPEN


def fail_n(breaker: Any, target: GuardedTarget, n: int, clock: ManualClock | None = None, step: float = 0.0) -> None:
    """n guarded PINGs against a Redis that is down; each must raise a redis connection/timeout error."""
    for _ in range(n):
        with pytest.raises((redis.ConnectionError, redis.TimeoutError)):
            breaker.call(target.client.ping)
        if clock is not None:
            clock.advance(step)


@pytest.mark.criterion("WIL-1.2-006/AC1")
def test_all_three_states_against_redis_stopped_and_restarted(make_breaker: Callable[..., Any],
                                                             manual_clock: ManualClock,
                                                             guarded_redis: GuardedTarget, evidence: Any) -> None:
    """CLOSED while Redis answers, OPEN after it is stopped, HALF_OPEN for the probe once it is back, then CLOSED."""
    breaker, target = make_breaker(), guarded_redis
    key = target.key("ac1")
    seen: list[str] = []

    def incr() -> int:
        seen.append(state_of(breaker).value)  # the state the breaker is in while the call runs
        return int(target.client.incr(key))

    assert state_of(breaker) is C
    assert breaker.call(incr) == 1
    target.server.stop()
    fail_n(breaker, target, 5)
    assert state_of(breaker) is O, "5 connection failures in a row did not open the circuit"
    assert breaker.call(incr, fallback=lambda: "fallback") == "fallback" and seen == ["CLOSED"]
    target.server.start()
    manual_clock.advance(30.5)
    assert breaker.call(incr) == 1, "the probe did not reach the restarted Redis"
    assert seen == ["CLOSED", "HALF_OPEN"], f"the probe ran in state {seen[-1]}, expected HALF_OPEN"
    assert state_of(breaker) is C
    evidence.json("states observed", {"while Redis up": "CLOSED", "after 5 failures (Redis stopped)": "OPEN",
                                      "inside the probe after restart": seen[-1], "after the probe": "CLOSED"})


@pytest.mark.criterion("WIL-1.2-006/AC2")
def test_opens_at_fifth_failure_within_window(make_breaker: Callable[..., Any], manual_clock: ManualClock,
                                              guarded_redis: GuardedTarget, evidence: Any) -> None:
    """Redis stopped: failures at t=0,10,20,30 keep it CLOSED; the 5th, at t=40 (all within 60 s), opens it."""
    cfg = BreakerConfig()
    assert (cfg.failure_threshold, cfg.window_s) == (5, 60.0), "the suites' default config is not the plan's"
    breaker, target = make_breaker(cfg), guarded_redis
    target.server.stop()
    states = []
    for i in range(5):
        fail_n(breaker, target, 1)
        states.append(state_of(breaker).value)
        manual_clock.advance(10)
    assert states == ["CLOSED"] * 4 + ["OPEN"], f"states after failures 1..5: {states}"
    calls = []
    assert breaker.call(lambda: calls.append(1), fallback=lambda: "rejected") == "rejected" and not calls
    evidence.json("state after each failure (10 s apart)", states)


@pytest.mark.criterion("WIL-1.2-006/AC2")
def test_flapping_redis_opens_at_fifth_failure(make_breaker: Callable[..., Any], guarded_redis: GuardedTarget,
                                               evidence: Any) -> None:
    """Redis flapping (up, down, up, down...): 5 failures within 60 s open the circuit even with successes between
    them — the threshold counts failures in the window, not consecutive failures."""
    breaker, target = make_breaker(), guarded_redis
    states = []
    for _ in range(5):
        assert breaker.call(target.client.ping) is True
        target.server.stop()
        fail_n(breaker, target, 1)
        states.append(state_of(breaker).value)
        target.server.start()
    evidence.json("state after each failure (a success before each)", states)
    assert states == ["CLOSED"] * 4 + ["OPEN"], f"states after failures 1..5: {states}"


@pytest.mark.criterion("WIL-1.2-006/AC2")
def test_timeouts_count_as_failures(make_breaker: Callable[..., Any], guarded_redis: GuardedTarget,
                                    evidence: Any) -> None:
    """Redis paused (SIGSTOP): five command/handshake timeouts open the circuit like refused connections do
    (a client with 0.1 s timeouts: what is judged is that a timeout counts, not how long it takes)."""
    breaker, target = make_breaker(), guarded_redis
    quick = create_client(dataclasses.replace(target.server.settings, connect_timeout=0.1, command_timeout=0.1))
    for attempt in range(3):  # an established connection: the next commands time out on read
        try:
            quick.ping()
            break
        except redis.TimeoutError:  # a loaded machine can miss 0.1 s for the TLS handshake itself
            if attempt == 2:
                raise
    target.server.pause()
    try:
        started = time.perf_counter()
        for _ in range(5):
            with pytest.raises((redis.ConnectionError, redis.TimeoutError)):
                breaker.call(quick.ping)
        elapsed = time.perf_counter() - started
    finally:
        target.server.resume()
        quick.close()
        quick.connection_pool.disconnect()
    assert state_of(breaker) is O
    evidence.text("5 timeouts against a paused Redis", f"took {elapsed:.2f} s; state {state_of(breaker).value}")


@pytest.mark.criterion("WIL-1.2-006/AC2")
def test_failures_spread_over_more_than_window_do_not_open(make_breaker: Callable[..., Any],
                                                           manual_clock: ManualClock, guarded_redis: GuardedTarget,
                                                           evidence: Any) -> None:
    """10 failures 15.5 s apart (never 5 within 60 s) leave it CLOSED: failures decay, they are not a total."""
    breaker, target = make_breaker(), guarded_redis
    target.server.stop()
    reached = 0

    def ping() -> Any:
        nonlocal reached
        reached += 1
        return target.client.ping()

    states = []
    for _ in range(10):
        with pytest.raises((redis.ConnectionError, redis.TimeoutError)):
            breaker.call(ping)
        states.append(state_of(breaker).value)
        manual_clock.advance(15.5)
    evidence.json("state after each failure (15.5 s apart, at most 4 in any 60 s)", states)
    assert states == ["CLOSED"] * 10, "the circuit opened on failures spread over more than 60 s"
    assert reached == 10, f"only {reached} of 10 calls reached Redis"


@pytest.mark.criterion("WIL-1.2-006/AC3")
def test_stays_open_for_recovery_timeout_then_admits_probe(make_breaker: Callable[..., Any],
                                                           manual_clock: ManualClock, guarded_redis: GuardedTarget,
                                                           evidence: Any) -> None:
    """Opened at t0 (Redis restarted right after): rejected at t0+10 and t0+29.9, the call at t0+30.1 reaches Redis."""
    assert BreakerConfig().recovery_timeout_s == 30.0, "the suites' default config is not the plan's"
    breaker, target = make_breaker(), guarded_redis
    key = target.key("ac3")
    target.server.stop()
    fail_n(breaker, target, 5)
    assert state_of(breaker) is O
    target.server.start()
    opened_at = manual_clock()
    log: list[tuple[float, Any]] = []
    for at in (10.0, 29.9):
        manual_clock.advance(opened_at + at - manual_clock())
        result = breaker.call(target.client.incr, key, fallback=lambda: "rejected")
        log.append((at, result))
        assert result == "rejected" and state_of(breaker) is O, f"at t0+{at}s the call was not rejected"
    manual_clock.advance(opened_at + 30.1 - manual_clock())
    result = breaker.call(target.client.incr, key, fallback=lambda: "rejected")
    log.append((30.1, result))
    assert result == 1, f"at t0+30.1s no probe was admitted (got {result!r})"
    assert target.read(key) == b"1", "calls rejected while OPEN reached Redis"
    assert state_of(breaker) is C
    evidence.table("calls after opening", [{"t": f"t0+{a}s", "result": r} for a, r in log])


def _half_open(breaker: Any, target: GuardedTarget, clock: ManualClock) -> None:
    """Open the circuit on a stopped Redis, bring Redis back, let the recovery timeout pass."""
    target.server.stop()
    fail_n(breaker, target, 5)
    assert state_of(breaker) is O
    target.server.start()
    clock.advance(30.5)


def _judge_stampede(seen: Stampede, n: int, evidence: Any, label: str) -> None:
    evidence.json(label, seen.summary())
    assert seen.waiting == 0, f"{seen.waiting} callers waited for the probe instead of being rejected at once"
    assert seen.reached == 0, f"{seen.reached} callers reached Redis while the probe was in flight (expected 0)"
    assert seen.results == ["rejected"] * n, f"callers did not get their fallback: {sorted(set(map(str, seen.results)))}"
    assert max(seen.durations) < 0.25, f"slowest rejection took {max(seen.durations) * 1e3:.1f} ms (bound 250 ms)"
    assert seen.probe_result == 1, f"the probe returned {seen.probe_result!r}, expected INCR -> 1"


@pytest.mark.criterion("WIL-1.2-006/AC4")
@pytest.mark.parametrize("mode", ["threads", "asyncio"])
def test_half_open_admits_exactly_one_probe(mode: str, make_breaker: Callable[..., Any], manual_clock: ManualClock,
                                            guarded_redis: GuardedTarget, evidence: Any) -> None:
    """Probe held in flight; 16 threads (``call``) or 16 tasks (``call_async``) call at once: none reaches Redis,
    all get their fallback without waiting for the probe; the probe then closes the circuit."""
    breaker = make_breaker()
    _half_open(breaker, guarded_redis, manual_clock)
    stampede = stampede_threads if mode == "threads" else stampede_tasks
    seen = stampede(breaker, guarded_redis, guarded_redis.key(f"ac4-{mode}"), 16)
    _judge_stampede(seen, 16, evidence, f"{mode}: HALF_OPEN, probe in flight, 16 concurrent callers")
    assert state_of(breaker) is C


@pytest.mark.criterion("WIL-1.2-006/AC5")
def test_every_transition_logged_and_published(make_breaker: Callable[..., Any], manual_clock: ManualClock,
                                               guarded_redis: GuardedTarget, caplog: pytest.LogCaptureFixture,
                                               evidence: Any) -> None:
    """Redis stopped, probe fails, Redis back, probe succeeds: all four kinds of transition, logged and emitted."""
    caplog.set_level(logging.INFO)
    breaker, target = make_breaker(), guarded_redis
    published: list[Any] = []
    subscribe = getattr(breaker, "add_listener", None)  # judged after the logs, so both defects are reported
    if subscribe is not None:
        subscribe(published.append)
    target.server.stop()
    fail_n(breaker, target, 5)
    manual_clock.advance(30.5)
    fail_n(breaker, target, 1)  # the probe, Redis still down
    target.server.start()
    manual_clock.advance(30.5)
    assert breaker.call(target.client.ping) is True
    expected = [("CLOSED", "OPEN"), ("OPEN", "HALF_OPEN"), ("HALF_OPEN", "OPEN"), ("OPEN", "HALF_OPEN"),
                ("HALF_OPEN", "CLOSED")]
    logged = transition_records(caplog.records)
    evidence.text("transition log lines", "\n".join(
        f"{r.levelname} {r.name}: {r.getMessage()}" for r in caplog.records) or "(none)")
    assert [(a, b) for a, b, _ in logged] == expected, f"logged transitions {logged}, expected {expected}"
    assert all(reason for _, _, reason in logged), f"a logged transition has no reason: {logged}"
    assert subscribe is not None, "the implementation has no add_listener(): transitions are not published"
    events = [(as_state(t.from_state).value, as_state(t.to_state).value, t.reason) for t in published]
    evidence.json("transitions published to the listener", events)
    assert [(a, b) for a, b, _ in events] == expected and all(r for _, _, r in events)


@pytest.mark.criterion("WIL-1.2-006/AC6")
def test_fallback_runs_for_each_guarded_operation_when_open(make_breaker: Callable[..., Any],
                                                            guarded_redis: GuardedTarget, evidence: Any) -> None:
    """OPEN (Redis back but the circuit not yet recovered): get/set/delete/expire/ping each return their
    fallback and no command reaches the server (INFO commandstats unchanged)."""
    breaker, target = make_breaker(), guarded_redis
    guarded, key = GuardedRedis(target.client, breaker), target.key("ac6")
    target.server.stop()
    for _ in range(5):
        with contextlib.suppress(redis.ConnectionError, redis.TimeoutError):
            breaker.call(target.client.ping)
    assert state_of(breaker) is O
    target.server.start()
    commands = ("get", "set", "del", "expire", "ping")
    before = target.command_calls(*commands)
    got = {"get": guarded.get(key), "set": guarded.set(key, "v", ex=60), "delete": guarded.delete(key),
           "expire": guarded.expire(key, 60), "ping": guarded.ping()}
    after = target.command_calls(*commands)
    evidence.table("operation -> result while OPEN", [{"operation": k, "result": repr(v), "fallback": repr(
        FALLBACKS[k])} for k, v in got.items()])
    assert got == FALLBACKS, f"fallbacks not applied: {got}"
    assert after == before, f"commands reached Redis while OPEN: before {before}, after {after}"


@pytest.mark.criterion("WIL-1.2-006/AC6")
def test_error_reply_is_reraised_and_not_counted(make_breaker: Callable[..., Any], guarded_redis: GuardedTarget,
                                                 evidence: Any) -> None:
    """LPUSH on a string key: the WRONGTYPE reply is raised to the caller (not swallowed by the fallback) and
    ten of them leave the circuit CLOSED — an error reply proves Redis is up."""
    breaker, target = make_breaker(), guarded_redis
    key = target.key("ac6-wrongtype")
    assert target.client.set(key, "a string", ex=60)
    messages = set()
    for _ in range(10):
        with pytest.raises(redis.ResponseError, match="WRONGTYPE") as info:
            breaker.call(target.client.lpush, key, "x", fallback=lambda: "fallback")
        messages.add(str(info.value))
    evidence.json("error replies re-raised", {"messages": sorted(messages), "state after 10": state_of(breaker).value})
    assert state_of(breaker) is C, "WRONGTYPE replies were counted as failures"
    assert breaker.call(target.client.get, key) == b"a string"
