"""Unit tests of the reference breaker (harness/resilience/breaker.py): pure logic, injected clock."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest
import redis

from harness.resilience import (BreakerConfig, CircuitBreaker, CircuitOpenError, ManualClock, State, Transition,
                                counts_as_failure)

DOWN = redis.ConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused.")


def boom(exc: BaseException = DOWN) -> Any:
    raise exc


def make(threshold: int = 5, window: float = 60.0, recovery: float = 30.0) -> tuple[CircuitBreaker, ManualClock]:
    clock = ManualClock()
    return CircuitBreaker(BreakerConfig(threshold, window, recovery, name="unit"), clock=clock), clock


def fail(breaker: CircuitBreaker, n: int = 1, exc: BaseException = DOWN) -> None:
    for _ in range(n):
        with pytest.raises(type(exc)):
            breaker.call(boom, exc)


def opened() -> tuple[CircuitBreaker, ManualClock]:
    breaker, clock = make()
    fail(breaker, 5)
    assert breaker.state is State.OPEN
    return breaker, clock


@pytest.mark.parametrize(("exc", "counted"), [
    (redis.ConnectionError("refused"), True), (redis.TimeoutError("timeout"), True),
    (redis.BusyLoadingError("LOADING"), True), (redis.AuthenticationError("bad"), True),
    (TimeoutError(), True), (ConnectionRefusedError(), True),
    (redis.ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"), False),
    (redis.exceptions.NoScriptError("NOSCRIPT"), False), (ValueError("bug"), False),
    (asyncio.CancelledError(), False), (KeyboardInterrupt(), False),
])
def test_classification(exc: BaseException, counted: bool) -> None:
    assert counts_as_failure(exc) is counted


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="failure_threshold"):
        BreakerConfig(failure_threshold=0)
    with pytest.raises(ValueError, match="window_s"):
        BreakerConfig(window_s=0)
    assert BreakerConfig() == BreakerConfig(5, 60.0, 30.0, "redis")


def test_opens_at_threshold_within_window_and_failures_decay() -> None:
    breaker, clock = make()
    fail(breaker, 4)
    clock.advance(60.0)  # exactly window_s old: no longer counted
    fail(breaker, 1)
    assert breaker.state is State.CLOSED and breaker.metrics()["failures_in_window"] == 1
    fail(breaker, 3)
    assert breaker.state is State.CLOSED
    fail(breaker, 1)
    assert breaker.state is State.OPEN


def test_success_does_not_forgive_failures_in_window() -> None:
    breaker, _ = make()
    fail(breaker, 4)
    assert breaker.call(lambda: "ok") == "ok"
    fail(breaker, 1)
    assert breaker.state is State.OPEN


def test_recovery_boundary_and_probe_success_closes_with_empty_window() -> None:
    breaker, clock = opened()
    clock.advance(29.999)
    with pytest.raises(CircuitOpenError, match="'unit' is OPEN"):
        breaker.call(lambda: "never")
    clock.advance(0.001)
    seen = breaker.call(lambda: breaker.state)
    assert seen is State.HALF_OPEN and breaker.state is State.CLOSED
    fail(breaker, 4)
    assert breaker.state is State.CLOSED, "the window was not cleared on closing"


def test_probe_failure_reopens_and_restarts_the_timer() -> None:
    breaker, clock = opened()
    clock.advance(31)
    fail(breaker)
    assert breaker.state is State.OPEN
    clock.advance(29)
    assert breaker.call(lambda: "x", fallback=lambda: "fb") == "fb"
    clock.advance(1)
    assert breaker.call(lambda: "x") == "x" and breaker.state is State.CLOSED


@pytest.mark.parametrize("exc", [redis.ResponseError("WRONGTYPE"), KeyboardInterrupt()])
def test_uncounted_error_in_probe_releases_the_permit(exc: BaseException) -> None:
    breaker, clock = opened()
    clock.advance(30)
    with pytest.raises(type(exc)):
        breaker.call(boom, exc, fallback=lambda: "fb")
    assert breaker.state is State.HALF_OPEN
    assert breaker.call(lambda: "probe") == "probe" and breaker.state is State.CLOSED


def test_counted_failure_with_fallback_degrades_uncounted_reraises() -> None:
    breaker, _ = make(threshold=2)
    assert breaker.call(boom, fallback=lambda: "fb") == "fb"
    with pytest.raises(redis.ResponseError):
        breaker.call(boom, redis.ResponseError("WRONGTYPE"), fallback=lambda: "fb")
    assert breaker.state is State.CLOSED
    assert breaker.call(boom, fallback=lambda: "fb") == "fb" and breaker.state is State.OPEN


def test_late_results_from_before_a_transition_change_nothing() -> None:
    breaker, clock = make()

    def open_then_fail() -> None:
        fail(breaker, 5)  # re-entrant: no lock is held around fn
        raise DOWN

    with pytest.raises(redis.ConnectionError):
        breaker.call(open_then_fail)
    assert breaker.state is State.OPEN
    clock.advance(30)

    def close_inside_probe() -> str:
        breaker.reset()
        return "late"

    assert breaker.call(close_inside_probe) == "late" and breaker.state is State.CLOSED


def test_transitions_are_logged_and_published(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="harness.resilience.breaker")
    breaker, clock = make(threshold=1)
    got: list[Transition] = []
    breaker.add_listener(lambda t: boom(ValueError("broken listener")))
    breaker.add_listener(got.append)
    fail(breaker)
    clock.advance(30)
    fail(breaker)
    clock.advance(30)
    breaker.call(lambda: None)
    pairs = [(t.from_state.value, t.to_state.value) for t in got]
    assert pairs == [("CLOSED", "OPEN"), ("OPEN", "HALF_OPEN"), ("HALF_OPEN", "OPEN"), ("OPEN", "HALF_OPEN"),
                     ("HALF_OPEN", "CLOSED")]
    records = [r for r in caplog.records if hasattr(r, "to")]
    assert [(r.__dict__["from"], r.__dict__["to"]) for r in records] == pairs
    assert all(r.__dict__["breaker"] == "unit" and r.__dict__["reason"] for r in records)
    assert [r.levelname for r in records] == ["WARNING", "INFO", "WARNING", "INFO", "INFO"]
    assert sum("listener" in r.getMessage() for r in caplog.records) == 5


def test_metrics_and_reset() -> None:
    breaker, clock = opened()
    breaker.call(lambda: None, fallback=lambda: None)
    m = breaker.metrics()
    assert m["state"] == "OPEN" and m["calls_rejected"] == 1 and m["last_transition_at"] == clock()
    breaker.reset()
    assert breaker.state is State.CLOSED and breaker.metrics()["failures_in_window"] == 0
    breaker.reset()  # already CLOSED: no transition
    assert breaker.metrics()["last_transition_at"] == clock()


def test_async_paths() -> None:
    breaker, clock = make(threshold=1)

    async def ok() -> str:
        return "ok"

    async def down() -> str:
        raise DOWN

    async def scenario() -> None:
        assert await breaker.call_async(ok) == "ok"
        assert await breaker.call_async(down, fallback=lambda: "fb") == "fb"
        assert await breaker.call_async(ok, fallback=lambda: "fb") == "fb"
        with pytest.raises(CircuitOpenError):
            await breaker.call_async(ok)
        clock.advance(30)
        hold = asyncio.Event()
        probe = asyncio.create_task(breaker.call_async(hold.wait))
        await asyncio.sleep(0)
        assert await breaker.call_async(ok, fallback=lambda: "rejected") == "rejected"
        probe.cancel()  # a cancelled probe releases its permit, uncounted
        with pytest.raises(asyncio.CancelledError):
            await probe
        assert breaker.state is State.HALF_OPEN
        assert await breaker.call_async(ok) == "ok" and breaker.state is State.CLOSED
        with pytest.raises(ValueError):
            await breaker.call_async(boom, ValueError("bug"))

    asyncio.run(scenario())


def test_threads_open_once_and_share_one_probe() -> None:
    breaker, clock = make(threshold=5)
    got: list[Transition] = []
    breaker.add_listener(got.append)
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        for _ in range(50):
            try:
                breaker.call(boom, fallback=lambda: None)
            except CircuitOpenError:
                pass

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert [(t.from_state, t.to_state) for t in got] == [(State.CLOSED, State.OPEN)]
    clock.advance(30)
    entered, release, reached = threading.Event(), threading.Event(), []

    def probe() -> None:
        reached.append(1)
        entered.set()
        release.wait(5)

    runner = threading.Thread(target=breaker.call, args=(probe,))
    runner.start()
    assert entered.wait(5)
    results = [breaker.call(probe, fallback=lambda: "rejected") for _ in range(20)]
    release.set()
    runner.join(5)
    assert results == ["rejected"] * 20 and reached == [1] and breaker.state is State.CLOSED


def test_manual_clock_is_monotonic() -> None:
    clock = ManualClock(5.0)
    assert clock.advance(1.5) == clock() == 6.5
    with pytest.raises(ValueError, match="cannot go back"):
        clock.advance(-1)
