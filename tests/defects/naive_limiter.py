"""Planted defect: a Python port of the plan's limiter sketch (WIL-1.2-010 Technical Notes).

ZREMRANGEBYSCORE, ZCARD and ZADD are separate round trips (check-then-act), the clock
is the client's, and the member is the timestamp. Sequentially it behaves like a
sliding window; under concurrency every caller reads the same ZCARD and over-admits.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

from harness.redis.protocols import Decision, Limit


class NaiveLimiter:
    def __init__(self, redis_client: Any, breaker: Any, *, default: Limit = Limit(10, 60.0),
                 routes: Mapping[str, Limit] | None = None, fallback: str = "open",
                 prefix: str = "ratelimit:") -> None:
        self.redis = redis_client
        self.breaker = breaker
        self.default = default
        self.routes = dict(routes or {})
        self.prefix = prefix

    def limit_for(self, route: str) -> Limit:
        return self.routes.get(route, self.default)

    def metrics(self) -> dict[str, Any]:
        return {}

    def check(self, session_id: str, route: str) -> Decision:
        limit = self.limit_for(route)
        window_ms = limit.window_s * 1000
        now = time.time() * 1000
        key = f"{self.prefix}{session_id}:{route}"
        r = self.redis

        def attempt() -> Decision:
            r.zremrangebyscore(key, "-inf", now - window_ms)
            count = r.zcard(key)
            if count >= limit.requests:
                oldest = r.zrange(key, 0, 0, withscores=True)
                reset = oldest[0][1] + window_ms if oldest else now + window_ms
                return Decision(False, limit.requests, 0, reset / 1000, max(0.0, (reset - now) / 1000),
                                limit.window_s, limit.name)
            r.zadd(key, {repr(now): now})
            r.expire(key, math.ceil(limit.window_s))
            return Decision(True, limit.requests, limit.requests - count - 1, (now + window_ms) / 1000, 0.0,
                            limit.window_s, limit.name)

        def fail_open() -> Decision:
            return Decision(True, limit.requests, limit.requests, (now + window_ms) / 1000, 0.0, limit.window_s,
                            limit.name)

        return self.breaker.call(attempt, fallback=fail_open)  # type: ignore[no-any-return]
