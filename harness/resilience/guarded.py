"""Redis operations behind a breaker, each with its defined fallback (WIL-1.2-006 "fallback for each operation").

| operation | when the circuit rejects the call |
|---|---|
| ``get(key)`` | ``None`` (a cache miss: the caller reads the source of truth) |
| ``set(key, value, ex=)`` | ``False`` (not stored; the caller keeps working uncached) |
| ``delete(*keys)`` | ``0`` (nothing deleted; rely on the key's TTL) |
| ``expire(key, seconds)`` | ``False`` |
| ``ping()`` | ``False`` (reported as down, never raised) |

Error replies (WRONGTYPE, ...) are bugs, not outages: they are re-raised, uncounted.
"""

from __future__ import annotations

from typing import Any

import redis

from .protocol import Breaker

FALLBACKS: dict[str, Any] = {"get": None, "set": False, "delete": 0, "expire": False, "ping": False}


class GuardedRedis:
    def __init__(self, client: redis.Redis, breaker: Breaker) -> None:
        self.client = client
        self.breaker = breaker

    def get(self, key: str) -> Any:
        return self.breaker.call(self.client.get, key, fallback=lambda: FALLBACKS["get"])

    def set(self, key: str, value: str | bytes, ex: int | None = None) -> bool:
        return bool(self.breaker.call(self.client.set, key, value, ex=ex, fallback=lambda: FALLBACKS["set"]))

    def delete(self, *keys: str) -> int:
        return int(self.breaker.call(self.client.delete, *keys, fallback=lambda: FALLBACKS["delete"]))

    def expire(self, key: str, seconds: int) -> bool:
        return bool(self.breaker.call(self.client.expire, key, seconds, fallback=lambda: FALLBACKS["expire"]))

    def ping(self) -> bool:
        return bool(self.breaker.call(self.client.ping, fallback=lambda: FALLBACKS["ping"]))
