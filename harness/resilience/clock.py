"""A clock you move by hand: inject it to cross 30 s / 60 s boundaries without sleeping."""

from __future__ import annotations

import threading


class ManualClock:
    """Monotonic seconds that only move when ``advance()`` is called (thread-safe)."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError(f"a monotonic clock cannot go back ({seconds} s)")
        with self._lock:
            self._now += seconds
            return self._now
