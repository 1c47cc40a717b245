"""The one place where the web layer meets the Redis layer (the integration seam).

``build_components`` wires the reference implementations
(``harness.resilience.CircuitBreaker``, ``harness.redis.session.SessionStore``,
``harness.redis.limiter.SlidingWindowLimiter``); the middleware renders headers and
429 bodies with ``harness.redis.headers``. The app sees only the Protocols of deps.py. Callers can also pass their own objects
to ``create_app`` and skip this module.
"""

from __future__ import annotations

from dataclasses import dataclass
import redis

from harness.redis.limiter import SlidingWindowLimiter
from harness.redis.protocols import Limit
from harness.redis.session import SessionStore
from harness.resilience import BreakerConfig, CircuitBreaker

from . import middleware
from .deps import BreakerLike, LimiterLike, SessionStoreLike
from .settings import AppSettings, RouteLimit


@dataclass(frozen=True)
class Components:
    sessions: SessionStoreLike
    limiter: LimiterLike
    breaker: BreakerLike | None
    #: "reference" for the harness's own implementations; anything else names the caller's
    source: str
    headers: middleware.HeadersFn = middleware.rate_limit_headers
    problem_429: middleware.BodyFn = middleware.problem_429


def build_components(settings: AppSettings, redis_client: redis.Redis) -> Components:
    breaker = CircuitBreaker(BreakerConfig(name="redis"))
    routes = dict(settings.route_limits)
    return Components(
        sessions=SessionStore(redis_client, breaker),
        limiter=SlidingWindowLimiter(redis_client, breaker, default=_limit(settings.default_limit),
                                     routes={r: _limit(v, r) for r, v in routes.items()}),
        breaker=breaker, source="reference")


def _limit(value: RouteLimit, name: str = "default") -> Limit:
    return Limit(value.requests, value.window_s, name)
