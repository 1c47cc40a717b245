"""The one place where the web layer meets the Redis layer (the integration seam).

``build_components`` wires the reference implementations
(``harness.resilience.CircuitBreaker``, ``harness.redis.session.SessionStore``,
``harness.redis.limiter.SlidingWindowLimiter`` and the renderers of
``harness.redis.headers``). Nothing else in ``harness.web`` imports the Redis layer;
the app sees only the Protocols of deps.py. Callers can also pass their own objects
to ``create_app`` and skip this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import redis

from harness.redis.headers import problem_429, rate_limit_headers
from harness.redis.limiter import SlidingWindowLimiter
from harness.redis.protocols import Limit
from harness.redis.session import SessionStore
from harness.resilience import BreakerConfig, CircuitBreaker

from . import middleware
from .deps import BreakerLike, DecisionLike, LimiterLike, SessionStoreLike
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
        breaker=breaker, source="reference", headers=_headers, problem_429=_body)


def _headers(decision: DecisionLike) -> dict[str, str]:
    """The Redis layer's header renderer (one source of truth)."""
    rendered: dict[str, str] = rate_limit_headers(cast(Any, decision))  # a full Decision of that layer
    return rendered


def _body(decision: DecisionLike, route: str) -> dict[str, Any]:
    """The Redis layer's 429 body, adapted to the app's one error shape (code/message/details)."""
    problem: dict[str, Any] = problem_429(cast(Any, decision), route=route)
    problem.setdefault("message", problem["detail"])
    problem.setdefault("details", [])
    return problem


def _limit(value: RouteLimit, name: str = "default") -> Limit:
    return Limit(value.requests, value.window_s, name)
