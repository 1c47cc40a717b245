"""Planted defect: a Python port of the plan's session sketch (WIL-1.2-007 Technical Notes).

The create fallback is the plan's ``() => {}``: the session is returned but stored
nowhere, so it cannot be read during the outage and is never written back; get is
GET + EXPIRE (two round trips, not atomic) with fallback ``null``; ids are not checked,
so anything a client sends becomes part of a Redis key.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from harness.redis.protocols import Session


class NaiveSessionStore:
    def __init__(self, redis_client: Any, breaker: Any, *, ttl_s: int = 86_400, prefix: str = "session:",
                 **_ignored: Any) -> None:
        self.redis = redis_client
        self.breaker = breaker
        self.ttl_s = ttl_s
        self.prefix = prefix

    def create(self) -> Session:
        now = time.time()
        session = Session(str(uuid.uuid4()), now, now)
        try:
            # SET .. EX is the plan's SETEX (redis-py deprecates the setex() spelling).
            self.breaker.call(self.redis.set, self.prefix + session.id, json.dumps(session.__dict__),
                              ex=self.ttl_s, fallback=lambda: None)
        except Exception:  # noqa: BLE001, S110 - the sketch's "session created but not persisted"
            pass
        return session

    def get(self, session_id: str) -> Session | None:
        def attempt() -> Session | None:
            data = self.redis.get(self.prefix + session_id)
            if not data:
                return None
            self.redis.expire(self.prefix + session_id, self.ttl_s)
            return Session(**json.loads(data))

        try:
            return self.breaker.call(attempt, fallback=lambda: None)  # type: ignore[no-any-return]
        except Exception:  # noqa: BLE001 - the sketch's "fallback: session not found"
            return None

    def sync_pending(self) -> int:
        return 0

    @property
    def degraded(self) -> bool:
        return False

    def metrics(self) -> dict[str, Any]:
        return {"degraded": False}
