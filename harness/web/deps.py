"""What the web layer needs from its collaborators: the whole integration seam.

The app only ever talks to these structural types, so the reference Redis layer
(``harness.redis.session.SessionStore``, ``harness.redis.limiter.SlidingWindowLimiter``),
the reference implementations or a team's own classes fit alike. All methods are
synchronous (redis-py clients); the middlewares run them in a worker thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable


class SessionLike(Protocol):
    @property
    def id(self) -> str: ...


@runtime_checkable
class SessionStoreLike(Protocol):
    def create(self) -> SessionLike:
        """A new session with a fresh canonical UUID4 id."""

    def get(self, session_id: str) -> SessionLike | None:
        """The session (idle TTL refreshed) or None when unknown, expired or malformed."""


class DecisionLike(Protocol):
    """One admission decision. ``reset_at`` is epoch seconds when capacity returns."""

    @property
    def allowed(self) -> bool: ...
    @property
    def limit(self) -> int: ...
    @property
    def remaining(self) -> int: ...
    @property
    def reset_at(self) -> float: ...
    @property
    def retry_after_s(self) -> float: ...


@runtime_checkable
class LimiterLike(Protocol):
    def check(self, session_id: str, route: str) -> DecisionLike:
        """Count one request of ``session_id`` on ``route`` and decide."""


@runtime_checkable
class BreakerLike(Protocol):
    """Only what health reports: the state and the counters (see /work/breaker-api.md)."""

    def metrics(self) -> Mapping[str, Any]: ...


def describe_breaker(breaker: BreakerLike | None) -> dict[str, Any] | None:
    """The breaker's metrics as JSON-safe values (enum states become their names)."""
    if breaker is None:
        return None
    out: dict[str, Any] = {}
    for key, value in breaker.metrics().items():
        plain = isinstance(value, (int, float, str, bool, type(None)))
        out[key] = value if plain else getattr(value, "value", str(value))
    return out


def store_degraded(store: object) -> bool | None:
    """The store's ``degraded`` flag when it has one (the reference store does)."""
    value = getattr(store, "degraded", None)
    return bool(value) if value is not None else None
