"""A circuit breaker for calls to Redis: time-windowed failures, one half-open probe.

Stand-in written to the agreed API (/work/breaker-api.md) so the Redis layer can run;
the breaker helper's module replaces it at merge. State lives in process memory only,
never in the Redis it guards, and the clock is monotonic.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import redis

T = TypeVar("T")
log = logging.getLogger("harness.resilience.breaker")


class State(str, enum.Enum):
    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"


class CircuitOpenError(RuntimeError):
    """A call was rejected (breaker open or probe busy) and no fallback was given."""


@dataclass(frozen=True)
class BreakerConfig:
    failure_threshold: int = 5
    window_s: float = 60.0
    recovery_timeout_s: float = 30.0
    name: str = "redis"


@dataclass(frozen=True)
class Transition:
    from_state: State
    to_state: State
    reason: str
    failures_in_window: int
    at: float


def counts_as_failure(exc: BaseException) -> bool:
    """Outages count (connection, timeout, loading); a Redis error reply does not."""
    if isinstance(exc, redis.ResponseError) and not isinstance(exc, redis.BusyLoadingError):
        return False
    return isinstance(exc, (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError, OSError, TimeoutError))


class CircuitBreaker:
    def __init__(self, config: BreakerConfig | None = None, *, clock: Callable[[], float] = time.monotonic,
                 is_failure: Callable[[BaseException], bool] = counts_as_failure) -> None:
        self.config = config or BreakerConfig()
        self._clock = clock
        self._is_failure = is_failure
        self._lock = threading.Lock()
        self._state = State.CLOSED
        self._failures: deque[float] = deque()
        self._opened_at = 0.0
        self._probe_busy = False
        self._rejected = 0
        self._last_transition_at: float | None = None
        self._listeners: list[Callable[[Transition], None]] = []

    @property
    def state(self) -> State:
        with self._lock:
            return self._state

    def add_listener(self, listener: Callable[[Transition], None]) -> None:
        self._listeners.append(listener)

    def metrics(self) -> dict[str, object]:
        with self._lock:
            self._decay(self._clock())
            return {"state": self._state.value, "failures_in_window": len(self._failures),
                    "calls_rejected": self._rejected, "last_transition_at": self._last_transition_at}

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
            self._probe_busy = False
            transition = self._move(State.CLOSED, "reset") if self._state is not State.CLOSED else None
        self._publish(transition)

    # -- the call path -------------------------------------------------------------------
    def call(self, fn: Callable[..., T], *args: Any, fallback: Callable[[], T] | None = None, **kwargs: Any) -> T:
        probe = self._admit()
        if probe is None:
            return self._reject(fallback)
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            self._on_error(exc, probe)
            raise
        self._on_success(probe)
        return result

    async def call_async(self, fn: Callable[..., Awaitable[T]], *args: Any,
                         fallback: Callable[[], T] | None = None, **kwargs: Any) -> T:
        probe = self._admit()
        if probe is None:
            return self._reject(fallback)
        try:
            result = await fn(*args, **kwargs)
        except BaseException as exc:  # includes cancellation: the probe permit is released
            self._on_error(exc, probe)
            raise
        self._on_success(probe)
        return result

    def _reject(self, fallback: Callable[[], T] | None) -> T:
        if fallback is not None:
            return fallback()
        raise CircuitOpenError(f"circuit {self.config.name!r} is {self.state.value}: call rejected without "
                               "reaching the service; it is retried after the recovery timeout")

    def _admit(self) -> bool | None:
        """None: reject; False: ordinary call; True: this call is the half-open probe."""
        transition = None
        with self._lock:
            now = self._clock()
            if self._state is State.OPEN and now - self._opened_at >= self.config.recovery_timeout_s:
                transition = self._move(State.HALF_OPEN, "recovery timeout elapsed")
            if self._state is State.CLOSED:
                verdict: bool | None = False
            elif self._state is State.HALF_OPEN and not self._probe_busy:
                self._probe_busy = True
                verdict = True
            else:
                self._rejected += 1
                verdict = None
        self._publish(transition)
        return verdict

    def _on_success(self, probe: bool) -> None:
        transition = None
        with self._lock:
            if probe:
                self._probe_busy = False
                self._failures.clear()
                transition = self._move(State.CLOSED, "probe succeeded")
        self._publish(transition)

    def _on_error(self, exc: BaseException, probe: bool) -> None:
        transition = None
        with self._lock:
            if probe:
                self._probe_busy = False
            if not isinstance(exc, Exception) or not self._is_failure(exc):
                return
            now = self._clock()
            if probe:
                self._opened_at = now
                transition = self._move(State.OPEN, f"probe failed: {type(exc).__name__}")
            elif self._state is State.CLOSED:
                self._failures.append(now)
                self._decay(now)
                if len(self._failures) >= self.config.failure_threshold:
                    self._opened_at = now
                    transition = self._move(State.OPEN, f"{len(self._failures)} failures within "
                                                        f"{self.config.window_s:g} s: {type(exc).__name__}")
        self._publish(transition)

    # -- bookkeeping (caller holds the lock) -------------------------------------------------
    def _decay(self, now: float) -> None:
        while self._failures and now - self._failures[0] > self.config.window_s:
            self._failures.popleft()

    def _move(self, to: State, reason: str) -> Transition:
        t = Transition(self._state, to, reason, len(self._failures), self._clock())
        self._state = to
        self._last_transition_at = t.at
        return t

    def _publish(self, t: Transition | None) -> None:
        if t is None:
            return
        level = logging.WARNING if t.to_state is State.OPEN else logging.INFO
        log.log(level, "circuit %s: %s -> %s (%s)", self.config.name, t.from_state.value, t.to_state.value, t.reason,
                extra={"breaker": self.config.name, "from": t.from_state.value, "to": t.to_state.value,
                       "reason": t.reason, "failures_in_window": t.failures_in_window})
        for listener in list(self._listeners):
            listener(t)
