"""Contracts of the Redis layer: what a session store and a rate limiter must offer.

The suites judge any implementation through these contracts, chosen with
``--impl session_store=module:attr`` / ``--impl limiter=module:attr``. The attribute is a
*factory* (usually the class itself) called as

    factory(redis_client, breaker, **options) -> SessionStore        # SessionStoreFactory
    factory(redis_client, breaker, **options) -> RateLimiter         # RateLimiterFactory

where ``redis_client`` is a redis-py ``Redis`` (TLS) and ``breaker`` an object with the
agreed ``call(fn, *args, **kwargs)`` (harness.resilience.CircuitBreaker). Every Redis
call must go through the breaker. Options the suites pass (all keywords):

* session store: ``ttl_s``, ``max_lifetime_s``, ``prefix``, ``fallback_max``
* limiter: ``default`` (a Limit), ``routes`` (route -> Limit), ``fallback``, ``prefix``

Keys must start with ``prefix`` (the suites isolate tests by prefix and clean up by it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


class InvalidSessionId(ValueError):
    """An id that this server could never have issued (not a canonical lowercase UUID4)."""


@dataclass(frozen=True)
class Session:
    id: str
    created_at: float  # epoch seconds
    last_accessed_at: float  # epoch seconds


@dataclass(frozen=True)
class Limit:
    """``requests`` admitted per sliding ``window_s``; ``name`` labels the policy in headers."""

    requests: int
    window_s: float
    name: str = "default"

    def __post_init__(self) -> None:
        if self.requests < 1 or self.window_s <= 0:
            raise ValueError(f"a limit needs requests >= 1 and window_s > 0, got {self.requests}/{self.window_s}")


@dataclass(frozen=True)
class Decision:
    """One admission decision. ``reset_at`` is epoch seconds at which the oldest counted
    request leaves the window (capacity returns); ``retry_after_s`` is 0 when allowed."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float
    retry_after_s: float
    window_s: float = 60.0
    policy: str = "default"
    #: where the decision came from: "redis", or the fallback used ("local", "open", "closed")
    source: str = "redis"


@runtime_checkable
class SessionStore(Protocol):
    def create(self) -> Session:
        """A new session, stored (or, during an outage, remembered for write-back)."""

    def get(self, session_id: str) -> Session | None:
        """The session, with its idle TTL refreshed; None when unknown, expired or malformed."""

    def sync_pending(self) -> int:
        """Write sessions created during an outage back to Redis; returns how many were written."""

    @property
    def degraded(self) -> bool:
        """True while serving from the in-memory fallback or holding unsynced sessions."""

    def metrics(self) -> Mapping[str, Any]:
        """Counters and state (must include ``degraded``)."""


@runtime_checkable
class RateLimiter(Protocol):
    def check(self, session_id: str, route: str) -> Decision:
        """Count one request of ``session_id`` on ``route`` and decide."""

    def limit_for(self, route: str) -> Limit:
        """The configured limit of a route (the default when it has none)."""

    def metrics(self) -> Mapping[str, Any]:
        """Counters, including fallback decisions."""


class SessionStoreFactory(Protocol):
    def __call__(self, redis_client: Any, breaker: Any, **options: Any) -> SessionStore: ...


class RateLimiterFactory(Protocol):
    def __call__(self, redis_client: Any, breaker: Any, **options: Any) -> RateLimiter: ...
