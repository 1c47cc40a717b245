"""Planted defects of the session store (WIL-1.2-007), each the reference with ONE mistake.

* ``TimeSeededIds``: ids come from a PRNG seeded with the current second, a classic way to
  get "random" ids that repeat: every session created within one second gets the same
  id (fails AC1: ids are canonical UUID4s but not unique).
* ``UnguardedGets``: only writes go through the circuit breaker; reads call Redis
  directly (the breaker never sees their failures, so it never opens for them and a dead
  Redis is dialled on every get) (fails AC3).
"""

from __future__ import annotations

import random
import time
import uuid
from typing import Any

from harness.redis.protocols import Session
from harness.redis.session import SessionStore


def time_seeded_uuid4() -> str:
    """A canonical UUID4 string from ``random.Random(<current second>)``: the same id all second long."""
    rng = random.Random(int(time.time()))
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class TimeSeededIds(SessionStore):
    """The reference store, but ids from a time-seeded PRNG instead of ``uuid.uuid4()``."""

    _new_id = staticmethod(time_seeded_uuid4)


class _Direct:
    """Stands where the breaker should be: calls straight through, counts nothing."""

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)


class UnguardedGets(SessionStore):
    """The reference store whose ``get`` bypasses the breaker (create and write-back still use it).

    The swap is not thread-safe; the sessions suite drives a store from one thread."""

    def get(self, session_id: str) -> Session | None:
        guarded, self.breaker = self.breaker, _Direct()
        try:
            return super().get(session_id)
        finally:
            self.breaker = guarded

