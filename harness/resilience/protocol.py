"""The contract of the ``breaker`` role: what ``--impl breaker=module:Class`` must provide.

The suites build the implementation under test exactly like this::

    breaker = Class(config=BreakerConfig(...), clock=clock)

``config`` is :class:`harness.resilience.BreakerConfig` (read ``failure_threshold``,
``window_s``, ``recovery_timeout_s``, ``name``); ``clock`` is a zero-argument callable
returning monotonic seconds, and the implementation must take *all* its time from
it (the suites drive it by hand to cross the 30 s and 60 s boundaries without
sleeping). ``state`` may be a :class:`State` or a string/enum whose value is
``"CLOSED"``, ``"OPEN"`` or ``"HALF_OPEN"``.
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
