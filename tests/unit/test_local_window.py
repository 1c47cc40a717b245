"""The limiter's in-process fallback window (pure logic, injected clock)."""

from __future__ import annotations

from harness.redis.local_window import LocalSlidingWindow
from harness.redis.protocols import Limit


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_slides_one_entry_at_a_time() -> None:
    clock = Clock()
    w = LocalSlidingWindow(clock=clock)
    limit = Limit(3, 10.0)
    for dt in (0.0, 1.0, 2.0):
        clock.t = 1000.0 + dt
        assert w.check("k", limit).allowed
    clock.t = 1009.9
    denied = w.check("k", limit)
    assert not denied.allowed and denied.source == "local"
    assert abs(denied.retry_after_s - 0.1) < 1e-6 and denied.reset_at == 1010.0
    clock.t = 1010.0  # the first entry leaves exactly at +window
    assert w.check("k", limit).allowed
    assert not w.check("k", limit).allowed  # only one slot came back


def test_keys_are_bounded_lru() -> None:
    w = LocalSlidingWindow(max_keys=2, clock=Clock())
    for key in ("a", "b", "a", "c"):
        w.check(key, Limit(1, 10))
    assert len(w) == 2
    assert not w.check("a", Limit(1, 10)).allowed  # "a" survived (recently used)
    assert w.check("b", Limit(1, 10)).allowed  # "b" was evicted: a fresh window
