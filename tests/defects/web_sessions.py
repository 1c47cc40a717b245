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
from harness.redis.session import SessionStore, _dump, _is_outage


def time_seeded_uuid4() -> str:
    """A canonical UUID4 string from ``random.Random(<current second>)``: the same id all second long."""
    rng = random.Random(int(time.time()))
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class TimeSeededIds(SessionStore):
    """The reference store, but ids from a time-seeded PRNG instead of ``uuid.uuid4()``."""

    def create(self) -> Session:
        # The reference create, with its id generator swapped: store under the defective id.
        now = self.clock()
        session = Session(time_seeded_uuid4(), now, now)
        try:
            self.breaker.call(self.redis.set, self._key(session.id), _dump(session), ex=self.ttl_s)
        except Exception as exc:
            if not _is_outage(exc):
                raise
            self._outage("create", exc)
            with self._lock:
                self._remember(session, pending=True)
                self._counts["fallback_creates"] += 1
        else:
            self._recovered()
        self._count("created")
        return session


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

