"""The plan's sketch (WIL-1.2-006 Technical Notes), ported line by line to Python: the planted defect.

Kept faithful on purpose, defects included:
- ``failures`` is an absolute count: it never decays (``monitoringPeriod`` is declared and never used)
  and a success resets it to zero;
- HALF_OPEN has no gate: every caller that arrives while the probe is in flight runs too;
- only OPEN is logged (``console.warn``), there are no listeners;
- every exception counts (a WRONGTYPE reply opens the circuit) and is swallowed when a fallback is given.
Only the clock is injected (the sketch used ``Date.now()``) so the suites can drive it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from harness.resilience import BreakerConfig, CircuitOpenError, State

T = TypeVar("T")
log = logging.getLogger("naive.breaker")


class NaiveBreaker:
    def __init__(self, config: BreakerConfig | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        config = config or BreakerConfig()
        self.failure_threshold = config.failure_threshold
        self.reset_timeout = config.recovery_timeout_s
        self.monitoring_period = config.window_s  # never read, as in the sketch
        self.clock = clock
        self._state = State.CLOSED
        self.failures = 0
        self.last_failure_time = 0.0

    @property
    def state(self) -> State:
        return self._state

    def _enter(self) -> bool:
        if self._state is State.OPEN:
            if self.clock() - self.last_failure_time > self.reset_timeout:
                self._state = State.HALF_OPEN
            else:
                return False
        return True

    def call(self, fn: Callable[..., T], *args: Any, fallback: Callable[[], T] | None = None, **kwargs: Any) -> T:
        if not self._enter():
            return self._rejected(fallback)
        try:
            result = fn(*args, **kwargs)
        except Exception:
            self._on_failure()
            if fallback:
                return fallback()
            raise
        self._on_success()
        return result

    async def call_async(self, fn: Callable[..., Awaitable[T]], *args: Any,
                         fallback: Callable[[], T] | None = None, **kwargs: Any) -> T:
        if not self._enter():
            return self._rejected(fallback)
        try:
            result = await fn(*args, **kwargs)
        except Exception:
            self._on_failure()
            if fallback:
                return fallback()
            raise
        self._on_success()
        return result

    @staticmethod
    def _rejected(fallback: Callable[[], T] | None) -> T:
        if fallback:
            return fallback()
        raise CircuitOpenError("Circuit breaker is OPEN")

    def _on_success(self) -> None:
        if self._state is State.HALF_OPEN:
            self._state = State.CLOSED
        self.failures = 0

    def _on_failure(self) -> None:
        self.failures += 1
        self.last_failure_time = self.clock()
        if self.failures >= self.failure_threshold:
            self._state = State.OPEN
            log.warning("[CircuitBreaker] State changed to OPEN")
