"""The contract of the ``breaker`` role: what ``--impl breaker=module:Class`` must provide.

The suites build the implementation under test exactly like this::

    breaker = Class(config=BreakerConfig(...), clock=clock)

``config`` is :class:`harness.resilience.BreakerConfig` (read ``failure_threshold``,
``window_s``, ``recovery_timeout_s``, ``name``); ``clock`` is a zero-argument callable
returning monotonic seconds, and the implementation must take *all* its time from
it (the suites drive it by hand to cross the 30 s and 60 s boundaries without
sleeping). ``state`` may be a :class:`State` or a string/enum whose value is
``"CLOSED"``, ``"OPEN"`` or ``"HALF_OPEN"``; once the recovery timeout has passed it
may say HALF_OPEN at once or stay OPEN until the next call.

What the suites hold it to: OPEN at the ``failure_threshold``-th counted failure
within ``window_s`` (successes do not reset the window); rejected calls never run
``fn`` and return ``fallback()`` (or raise :class:`CircuitOpenError`); after
``recovery_timeout_s`` exactly one caller is the probe while the others are rejected
at once; an error reply (``redis.ResponseError``) is re-raised, never counted, never
replaced by the fallback; every transition is logged (``extra`` from/to/reason, or a
message naming both states and a reason) and passed to listeners as a
:class:`Transition`. A counted failure with a fallback may return the fallback or
re-raise (the reference returns the fallback).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

from .breaker import BreakerConfig, State, Transition

T = TypeVar("T")


@runtime_checkable
class Breaker(Protocol):
    """What the suites call on a breaker (WIL-1.2-006 and WIL-1.2-014)."""

    @property
    def state(self) -> State: ...

    def call(self, fn: Callable[..., T], /, *args: Any, fallback: Callable[[], T] | None = None, **kwargs: Any) -> T:
        """Run ``fn`` unless rejected; rejected -> ``fallback()`` or ``CircuitOpenError``; errors not counted re-raise."""
        ...

    async def call_async(self, fn: Callable[..., Awaitable[T]], /, *args: Any,
                         fallback: Callable[[], T] | None = None, **kwargs: Any) -> T: ...

    def add_listener(self, listener: Callable[[Transition], None]) -> None:
        """Every transition is published to listeners (and logged with from, to and reason)."""
        ...

    def metrics(self) -> dict[str, object]: ...

    def reset(self) -> None: ...


class BreakerFactory(Protocol):
    """The constructor signature the suites use."""

    def __call__(self, *, config: BreakerConfig, clock: Callable[[], float]) -> Breaker: ...
