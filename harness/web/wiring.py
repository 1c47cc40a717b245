"""The one place where the web layer meets the Redis layer (the integration seam).

``build_components`` prefers the reference implementations
(``harness.resilience.CircuitBreaker``, ``harness.redis.session.SessionStore``,
``harness.redis.limiter.SlidingWindowLimiter``) and falls back to the stand-ins of
``_standins`` only when those modules cannot be imported. Nothing else in
``harness.web`` imports the Redis layer; the app sees only the Protocols of deps.py.
Callers can also pass their own objects to ``create_app`` and skip this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import redis

from . import _standins
from . import middleware
from .deps import BreakerLike, DecisionLike, LimiterLike, SessionStoreLike
from .settings import AppSettings, RouteLimit


@dataclass(frozen=True)
class Components:
    sessions: SessionStoreLike
    limiter: LimiterLike
    breaker: BreakerLike | None
    #: "reference" when harness.redis.* was importable, else "stand-in"
    source: str
    headers: middleware.HeadersFn = middleware.rate_limit_headers
    problem_429: middleware.BodyFn = middleware.problem_429


def _breaker() -> BreakerLike | None:
    try:
        from harness.resilience import BreakerConfig, CircuitBreaker  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    breaker: BreakerLike = CircuitBreaker(BreakerConfig(name="redis"))
    return breaker


def build_components(settings: AppSettings, redis_client: redis.Redis) -> Components:
    breaker = _breaker()
    routes = dict(settings.route_limits)
    try:
        from harness.redis.limiter import SlidingWindowLimiter  # type: ignore[import-not-found,unused-ignore]
        from harness.redis.protocols import Limit  # type: ignore[import-not-found,unused-ignore]
        from harness.redis.session import SessionStore  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return Components(
            sessions=_standins.StandinSessionStore(redis_client),
            limiter=_standins.StandinLimiter(redis_client, default=_limit(_standins.Limit, settings.default_limit),
                                             routes={r: _limit(_standins.Limit, v, r) for r, v in routes.items()}),
            breaker=breaker, source="stand-in")
    if breaker is None:  # the Redis layer without its breaker cannot be wired
        raise ImportError("harness.redis is present but harness.resilience is not")
    headers, body = _renderers()
    return Components(
        sessions=SessionStore(redis_client, breaker),
        limiter=SlidingWindowLimiter(redis_client, breaker, default=_limit(Limit, settings.default_limit),
                                     routes={r: _limit(Limit, v, r) for r, v in routes.items()}),
        breaker=breaker, source="reference", headers=headers, problem_429=body)


def _renderers() -> tuple[middleware.HeadersFn, middleware.BodyFn]:
    """The Redis layer's header/429 renderers (one source of truth), adapted to the app's error shape."""
    try:
        from harness.redis.headers import problem_429, rate_limit_headers  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return middleware.rate_limit_headers, middleware.problem_429

    def headers(decision: DecisionLike) -> dict[str, str]:
        rendered: dict[str, str] = rate_limit_headers(cast(Any, decision))  # a full Decision of that layer
        return rendered

    def body(decision: DecisionLike, route: str) -> dict[str, Any]:
        problem: dict[str, Any] = problem_429(cast(Any, decision), route=route)
        problem.setdefault("message", problem["detail"])  # the app's one shape: code/message/details
        problem.setdefault("details", [])
        return problem

    return headers, body


def _limit(cls: Any, value: RouteLimit, name: str = "default") -> Any:
    return cls(value.requests, value.window_s, name)
