"""A circuit breaker for Redis calls: time-windowed failures, one half-open probe, every transition emitted.

    CLOSED --(failure_threshold counted failures within window_s)--> OPEN
    OPEN --(recovery_timeout_s elapsed; the next call is the probe)--> HALF_OPEN
    HALF_OPEN --(probe succeeds)--> CLOSED        HALF_OPEN --(probe fails)--> OPEN

Where it departs from the plan's sketch (WIL-1.2-006): failures decay (only those
younger than ``window_s`` count), HALF_OPEN admits exactly one probe and rejects
the other callers at once, all four transitions are logged and published, only
outage-like errors count (``counts_as_failure``), the clock is injectable and
monotonic, and state lives in this process only (never in the Redis it guards).

The lock guards bookkeeping only, never the guarded call. In CLOSED the call path
takes no lock at all: it reads one immutable ``(state, generation)`` tuple.
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

import redis.exceptions

__all__ = ["BreakerConfig", "CircuitBreaker", "CircuitOpenError", "State", "Transition", "counts_as_failure"]

T = TypeVar("T")
logger = logging.getLogger("harness.resilience.breaker")


class State(str, enum.Enum):
    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"


class CircuitOpenError(RuntimeError):
    """The call was rejected (circuit OPEN, or HALF_OPEN with its probe in flight) and no fallback was given."""


@dataclass(frozen=True)
class BreakerConfig:
    failure_threshold: int = 5
    window_s: float = 60.0  # failures older than this no longer count
    recovery_timeout_s: float = 30.0  # time OPEN before a half-open probe is admitted
    name: str = "redis"

    def __post_init__(self) -> None:
        if self.failure_threshold < 1:
            raise ValueError(f"failure_threshold must be >= 1, got {self.failure_threshold}")
        if self.window_s <= 0 or self.recovery_timeout_s < 0:
            raise ValueError(f"window_s must be > 0 and recovery_timeout_s >= 0, got {self.window_s}, "
                             f"{self.recovery_timeout_s}")


@dataclass(frozen=True)
class Transition:
    from_state: State
    to_state: State
    reason: str
    failures_in_window: int
    at: float


_COUNTED: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,  # refused, reset, TLS failures (and AuthenticationError, a subclass)
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    OSError,
    TimeoutError,
)


def counts_as_failure(exc: BaseException) -> bool:
    """Does this error say the server is unreachable or unhealthy (counts), or is it a reply (does not)?

    Connection, timeout and LOADING errors count. Error replies (``ResponseError``:
    WRONGTYPE, NOSCRIPT, ...) prove the server answered: re-raised, never counted.
    Cancellation and other non-``Exception`` signals never count.
    """
    if isinstance(exc, redis.exceptions.ResponseError) and not isinstance(exc, redis.exceptions.BusyLoadingError):
        return False
    return isinstance(exc, _COUNTED)


_CLOSED, _OPEN, _HALF_OPEN = State.CLOSED, State.OPEN, State.HALF_OPEN


class CircuitBreaker:
    """Guards calls: ``breaker.call(fn, *args, fallback=..., **kwargs)`` or ``await breaker.call_async(...)``."""

    def __init__(self, config: BreakerConfig | None = None, *, clock: Callable[[], float] = time.monotonic,
                 is_failure: Callable[[BaseException], bool] = counts_as_failure) -> None:
        self.config = config or BreakerConfig()
        self._clock = clock
        self._is_failure = is_failure
        self._lock = threading.Lock()
        # One immutable tuple, swapped atomically: the lock-free fast path reads it once.
        self._phase: tuple[State, int] = (_CLOSED, 0)
        self._failures: deque[float] = deque()
        self._opened_at = 0.0
        self._probe_busy = False
        self._rejected = 0
        self._last_transition_at: float | None = None
        self._listeners: list[Callable[[Transition], None]] = []

    @property
    def state(self) -> State:
        """The current state; OPEN stays OPEN until a call after the recovery timeout becomes the probe."""
        return self._phase[0]

    def add_listener(self, listener: Callable[[Transition], None]) -> None:
        """``listener(Transition)`` is called after every transition, outside the lock."""
        self._listeners.append(listener)

    def call(self, fn: Callable[..., T], /, *args: Any, fallback: Callable[[], T] | None = None, **kwargs: Any) -> T:
        # _begin() inlined: in CLOSED this path costs one attribute read and no lock (see bench/bench_breaker.py).
        state, gen = self._phase
        probe = False
        if state is not _CLOSED:
            admitted = self._admit()
            if admitted is None:
                return self._reject(fallback)
            gen, probe = admitted
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            if self._settle_error(exc, gen, probe) and fallback is not None:
                return fallback()
            raise
        if probe:
            self._settle_success(gen)
        return result

    async def call_async(self, fn: Callable[..., Awaitable[T]], /, *args: Any,
                         fallback: Callable[[], T] | None = None, **kwargs: Any) -> T:
        admitted = self._begin()
        if admitted is None:
            return self._reject(fallback)
        gen, probe = admitted
        try:
            result = await fn(*args, **kwargs)
        except BaseException as exc:  # CancelledError included: it releases the probe, uncounted
            if self._settle_error(exc, gen, probe) and fallback is not None:
                return fallback()
            raise
        if probe:
            self._settle_success(gen)
        return result

    def metrics(self) -> dict[str, object]:
        with self._lock:
            now = self._clock()
            self._prune(now)
            return {"name": self.config.name, "state": self._phase[0].value,
                    "failures_in_window": len(self._failures), "calls_rejected": self._rejected,
                    "last_transition_at": self._last_transition_at}

    def reset(self) -> None:
        """Back to CLOSED with an empty window (an operator's action; logged as a transition)."""
        with self._lock:
            self._failures.clear()
            self._probe_busy = False
            moved = self._move(_CLOSED, "manual reset", self._clock()) if self._phase[0] is not _CLOSED else None
        self._emit(moved)

    # -- bookkeeping (under the lock); transitions are emitted after releasing it --

    def _begin(self) -> tuple[int, bool] | None:
        state, gen = self._phase
        return (gen, False) if state is _CLOSED else self._admit()

    def _admit(self) -> tuple[int, bool] | None:
        """(generation, is_probe) when the call may proceed, None when it is rejected."""
        moved = None
        with self._lock:
            state, gen = self._phase
            if state is _OPEN:
                now = self._clock()
                if now - self._opened_at < self.config.recovery_timeout_s:
                    self._rejected += 1
                    return None
                moved = self._move(_HALF_OPEN, f"recovery timeout {self.config.recovery_timeout_s:g}s elapsed; "
                                   "admitting one probe", now)
                state, gen = self._phase
            if state is _HALF_OPEN:
                if self._probe_busy:
                    self._rejected += 1
                    return None
                self._probe_busy = True
                admitted = (gen, True)
            else:
                admitted = (gen, False)
        self._emit(moved)
        return admitted

    def _reject(self, fallback: Callable[[], T] | None) -> T:
        if fallback is None:
            raise CircuitOpenError(f"circuit {self.config.name!r} is {self._phase[0].value}: call rejected "
                                   "(pass fallback= to degrade instead of raising)")
        return fallback()

    def _settle_error(self, exc: BaseException, gen: int, probe: bool) -> bool:
        """Record an error of a call admitted in generation ``gen``; True when it counted."""
        counted = isinstance(exc, Exception) and self._is_failure(exc)
        moved = None
        with self._lock:
            state, current = self._phase
            if current != gen:
                return counted  # a late answer from before the last transition: it changes nothing
            now = self._clock()
            if probe:
                self._probe_busy = False
                if counted:
                    moved = self._move(_OPEN, f"half-open probe failed: {_describe(exc)}", now)
            elif counted and state is _CLOSED:
                self._prune(now)
                self._failures.append(now)
                if len(self._failures) >= self.config.failure_threshold:
                    moved = self._move(_OPEN, f"{len(self._failures)} failures within "
                                       f"{self.config.window_s:g}s, last: {_describe(exc)}", now)
        self._emit(moved)
        return counted

    def _settle_success(self, gen: int) -> None:
        moved = None
        with self._lock:
            if self._phase == (_HALF_OPEN, gen):
                self._probe_busy = False
                moved = self._move(_CLOSED, "half-open probe succeeded", self._clock())
        self._emit(moved)

    def _prune(self, now: float) -> None:
        horizon = now - self.config.window_s
        while self._failures and self._failures[0] <= horizon:
            self._failures.popleft()

    def _move(self, to: State, reason: str, now: float) -> Transition:
        state, gen = self._phase
        transition = Transition(state, to, reason, len(self._failures), now)
        if to is _OPEN:
            self._opened_at = now
        if to is _CLOSED:
            self._failures.clear()
        self._phase = (to, gen + 1)
        self._last_transition_at = now
        return transition

    def _emit(self, transition: Transition | None) -> None:
        if transition is None:
            return
        level = logging.WARNING if transition.to_state is _OPEN else logging.INFO
        name = self.config.name
        logger.log(level, "circuit %r: %s -> %s (%s)", name, transition.from_state.value,
                   transition.to_state.value, transition.reason,
                   extra={"breaker": name, "from": transition.from_state.value, "to": transition.to_state.value,
                          "reason": transition.reason, "failures_in_window": transition.failures_in_window})
        for listener in list(self._listeners):
            try:
                listener(transition)
            except Exception:  # a broken listener must not break the guarded call
                logger.exception("circuit %r: transition listener %r failed", name, listener)


def _describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:160]}" if text else type(exc).__name__
