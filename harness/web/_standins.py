"""Minimal but correct stand-ins for the Redis layer, used ONLY when the reference
``harness.redis.session`` / ``harness.redis.limiter`` cannot be imported (see wiring.py).

They have no circuit breaker and no in-memory fallback: a Redis error propagates and
the middlewares answer 503. What they do get right: ids are canonical UUID4s and an
unknown id is never adopted; the TTL is refreshed atomically with ``GETEX``; the
sliding window is one Lua script on the server clock (``TIME``) with unique members
and an expiry, so concurrent requests cannot over-admit.
"""

from __future__ import annotations

import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import redis

SESSION_TTL_S = 86_400
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")

# Returns {allowed, remaining, reset_ms, now_ms}; the server's clock decides, never the client's.
SLIDING_WINDOW_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, now .. '-' .. ARGV[3])
  count = count + 1
  allowed = 1
end
redis.call('PEXPIRE', KEYS[1], window)
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local reset = now + window
if oldest[2] then reset = tonumber(oldest[2]) + window end
return {allowed, limit - count, reset, now}
"""


@dataclass(frozen=True)
class Session:
    id: str
    created_at: float
    last_accessed_at: float


@dataclass(frozen=True)
class Limit:
    requests: int
    window_s: float
    name: str = "default"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float
    retry_after_s: float
    window_s: float = 60.0
    policy: str = "default"
    source: str = "redis"


class StandinSessionStore:
    def __init__(self, redis_client: redis.Redis, *, ttl_s: int = SESSION_TTL_S, prefix: str = "session:") -> None:
        self.redis = redis_client
        self.ttl_s = ttl_s
        self.prefix = prefix
        self.degraded = False

    def create(self) -> Session:
        now = time.time()
        session = Session(str(uuid.uuid4()), now, now)
        payload = {"id": session.id, "createdAt": now, "lastAccessedAt": now}
        self.redis.set(self.prefix + session.id, json.dumps(payload), ex=self.ttl_s, nx=True)
        return session

    def get(self, session_id: str) -> Session | None:
        if len(session_id) != 36 or not UUID4.fullmatch(session_id):
            return None  # never issued here: do not even ask Redis
        raw: Any = self.redis.getex(self.prefix + session_id, ex=self.ttl_s)
        if raw is None:
            return None
        data = json.loads(raw)
        return Session(session_id, float(data["createdAt"]), time.time())

    def metrics(self) -> dict[str, Any]:
        return {"degraded": False, "kind": "stand-in"}


class StandinLimiter:
    def __init__(self, redis_client: redis.Redis, *, default: Limit, routes: dict[str, Limit] | None = None,
                 prefix: str = "ratelimit:") -> None:
        self.redis = redis_client
        self.default = default
        self.routes = dict(routes or {})
        self.prefix = prefix
        self._script = redis_client.register_script(SLIDING_WINDOW_LUA)

    def limit_for(self, route: str) -> Limit:
        return self.routes.get(route, self.default)

    def check(self, session_id: str, route: str) -> Decision:
        limit = self.limit_for(route)
        window_ms = int(limit.window_s * 1000)
        key = f"{self.prefix}{{{session_id}}}:{route}"
        allowed, remaining, reset_ms, now_ms = self._script(
            keys=[key], args=[limit.requests, window_ms, secrets.token_hex(8)])
        retry = 0.0 if allowed else max(0.0, (int(reset_ms) - int(now_ms)) / 1000.0)
        return Decision(bool(allowed), limit.requests, max(0, int(remaining)), int(reset_ms) / 1000.0, retry,
                        limit.window_s, limit.name)
