"""Reference implementations with one configuration value wrong: the plan's numbers are criteria too."""

from __future__ import annotations

import dataclasses
from typing import Any

from harness.redis.limiter import SlidingWindowLimiter
from harness.redis.protocols import Limit
from harness.redis.session import SessionStore
from harness.resilience.breaker import BreakerConfig, CircuitBreaker


class ImpatientBreaker(CircuitBreaker):
    """Recovers after a third of the configured recovery timeout (10 s instead of 30 s)."""

    def __init__(self, config: BreakerConfig | None = None, **kwargs: Any) -> None:
        config = config or BreakerConfig()
        super().__init__(dataclasses.replace(config, recovery_timeout_s=config.recovery_timeout_s / 3), **kwargs)


class OneHourSessions(SessionStore):
    """Stores sessions for 1 h instead of 24 h."""

    def __init__(self, redis_client: Any, breaker: Any, **kwargs: Any) -> None:
        kwargs["ttl_s"] = 3600
        super().__init__(redis_client, breaker, **kwargs)


class GenerousDefaultLimiter(SlidingWindowLimiter):
    """Defaults to 20 requests per minute instead of 10."""

    def __init__(self, redis_client: Any, breaker: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", Limit(20, 60.0))
        super().__init__(redis_client, breaker, **kwargs)


class NeverOpensBreaker(CircuitBreaker):
    """Counts failures but never trips (a threshold nobody reaches)."""

    def __init__(self, config: BreakerConfig | None = None, **kwargs: Any) -> None:
        super().__init__(dataclasses.replace(config or BreakerConfig(), failure_threshold=10**9), **kwargs)
