"""Sessions in Redis behind the circuit breaker, with an explicit, bounded outage mode.

Semantics (see docs/readme-redislayer.md):

* ids are canonical lowercase UUID4 strings; anything else is refused *before* Redis
  (``get`` returns None and counts ``rejected_ids``; ``parse_session_id`` raises
  InvalidSessionId for callers that want the reason);
* ``SET key value EX ttl`` on create, ``GETEX key EX ttl`` on get (one atomic round
  trip); an absolute lifetime cap (``max_lifetime_s``) ends a session however often
  it is used;
* when Redis fails or the breaker is open, sessions are created and read from an
  in-memory LRU of at most ``fallback_max`` entries that expire like Redis keys.
  Sessions created there are *pending*: written back (SET NX, remaining TTL) by
  ``sync_pending()``, which also runs after the next successful Redis call. Evicting
  a pending session is counted and logged, never silent.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import redis

from harness.resilience import CircuitOpenError, counts_as_failure

from .protocols import InvalidSessionId, Session

log = logging.getLogger("harness.redis.session")

SESSION_TTL_S = 86_400
MAX_LIFETIME_S = 7 * 86_400
_UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def parse_session_id(value: str) -> str:
    """The id if it is one this server could have issued, else InvalidSessionId."""
    if not isinstance(value, str) or len(value) != 36 or not _UUID4.fullmatch(value):
        shown = repr(value)[:42] + ("..." if len(repr(value)) > 42 else "")
        raise InvalidSessionId(f"session id {shown} is not a canonical lowercase UUID4; it was not issued here")
    return value


def _is_outage(exc: BaseException) -> bool:
    return isinstance(exc, CircuitOpenError) or counts_as_failure(exc)


class SessionStore:
    """Reference session store (contract: harness.redis.protocols.SessionStore)."""

    def __init__(self, redis_client: redis.Redis, breaker: Any, *, ttl_s: int = SESSION_TTL_S,
                 max_lifetime_s: int = MAX_LIFETIME_S, prefix: str = "session:", fallback_max: int = 10_000,
                 clock: Callable[[], float] = time.time) -> None:
        if ttl_s < 1 or max_lifetime_s < 1 or fallback_max < 1:
            raise ValueError("ttl_s, max_lifetime_s and fallback_max must be positive")
        self.redis = redis_client
        self.breaker = breaker
        self.ttl_s = ttl_s
        self.max_lifetime_s = max_lifetime_s
        self.prefix = prefix
        self.fallback_max = fallback_max
        self.clock = clock
        self._lock = threading.Lock()
        self._local: OrderedDict[str, Session] = OrderedDict()  # LRU: oldest first
        self._pending: set[str] = set()
        self._in_fallback = False
        self._counts = dict.fromkeys(("created", "fallback_creates", "fallback_hits", "redis_errors", "rejected_ids",
                                      "synced", "evicted", "evicted_pending", "expired_pending", "lifetime_ended"), 0)

    # -- public API ---------------------------------------------------------------------------
    @staticmethod
    def _new_id() -> str:
        """A fresh id: UUID4 from the OS's CSPRNG (the seam a planted defect swaps)."""
        return str(uuid.uuid4())

    def create(self) -> Session:
        now = self.clock()
        session = Session(self._new_id(), now, now)
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

    def get(self, session_id: str) -> Session | None:
        try:
            parse_session_id(session_id)
        except InvalidSessionId:
            self._count("rejected_ids")
            return None
        now = self.clock()
        try:
            raw = self.breaker.call(self.redis.getex, self._key(session_id), ex=self.ttl_s)
        except Exception as exc:
            if not _is_outage(exc):
                raise
            self._outage("get", exc)
            return self._get_local(session_id, now)
        # None from Redis may be a session created during an outage, not yet written back:
        # read it from memory before the write-back (in _recovered) empties memory.
        unsynced = self._get_local(session_id, now) if raw is None else None
        self._recovered()
        if raw is None:
            return unsynced
        session = _load(raw, accessed_at=now)
        if session is None or now - session.created_at >= self.max_lifetime_s:
            self._end(session_id)
            return None
        left = session.created_at + self.max_lifetime_s - now
        if left < self.ttl_s:  # near the absolute cap: do not let the idle TTL outlive it
            self._quietly(self.redis.expire, self._key(session_id), max(1, int(left)))
        return session

    def sync_pending(self) -> int:
        """SET NX each pending session with its remaining TTL; stop at the first outage."""
        with self._lock:
            todo = [self._local[i] for i in list(self._pending) if i in self._local]
        written = 0
        now = self.clock()
        for session in todo:
            ttl = self._remaining_ttl(session, now)
            if ttl <= 0:
                with self._lock:
                    self._pending.discard(session.id)
                    self._counts["expired_pending"] += 1
                continue
            try:
                self.breaker.call(self.redis.set, self._key(session.id), _dump(session), ex=ttl, nx=True)
            except Exception as exc:
                if not _is_outage(exc):
                    raise
                self._outage("sync", exc)
                break
            with self._lock:
                self._pending.discard(session.id)
                self._local.pop(session.id, None)
                self._counts["synced"] += 1
                self._in_fallback = False  # Redis answered
            written += 1
        if written:
            log.info("wrote %d session(s) created during the Redis outage back to Redis", written,
                     extra={"synced": written})
        with self._lock:
            if not self._pending:
                self._local.clear()  # Redis is the source of truth again
        return written

    @property
    def degraded(self) -> bool:
        with self._lock:
            return self._in_fallback or bool(self._pending)

    def metrics(self) -> dict[str, Any]:
        with self._lock:
            return {"degraded": self._in_fallback or bool(self._pending), "in_fallback": self._in_fallback,
                    "pending": len(self._pending), "fallback_size": len(self._local),
                    "fallback_max": self.fallback_max, **self._counts}

    # -- internals --------------------------------------------------------------------------------
    def _key(self, session_id: str) -> str:
        return self.prefix + session_id

    def _remaining_ttl(self, session: Session, now: float) -> int:
        idle_left = session.last_accessed_at + self.ttl_s - now
        life_left = session.created_at + self.max_lifetime_s - now
        return int(min(idle_left, life_left))

    def _remember(self, session: Session, *, pending: bool) -> None:
        """Caller holds the lock. Insert as most recent; evict the least recent beyond the cap."""
        self._local[session.id] = session
        self._local.move_to_end(session.id)
        if pending:
            self._pending.add(session.id)
        while len(self._local) > self.fallback_max:
            old_id, _ = self._local.popitem(last=False)
            self._counts["evicted"] += 1
            if old_id in self._pending:
                self._pending.discard(old_id)
                self._counts["evicted_pending"] += 1
                log.warning("in-memory session fallback is full (%d): evicted an unsynced session; it is lost",
                            self.fallback_max, extra={"fallback_max": self.fallback_max})

    def _get_local(self, session_id: str, now: float) -> Session | None:
        with self._lock:
            session = self._local.get(session_id)
            if session is None:
                return None
            if self._remaining_ttl(session, now) <= 0:
                del self._local[session_id]
                if session_id in self._pending:
                    self._pending.discard(session_id)
                    self._counts["expired_pending"] += 1
                return None
            touched = replace(session, last_accessed_at=now)
            self._remember(touched, pending=session_id in self._pending)
            self._counts["fallback_hits"] += 1
            return touched

    def _count(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    def _end(self, session_id: str) -> None:
        self._count("lifetime_ended")
        self._quietly(self.redis.delete, self._key(session_id))

    def _quietly(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            self.breaker.call(fn, *args)
        except Exception as exc:
            if not _is_outage(exc):
                raise
            self._outage("cleanup", exc)

    def _outage(self, operation: str, exc: BaseException) -> None:
        with self._lock:
            self._counts["redis_errors"] += 1
            entering = not self._in_fallback
            self._in_fallback = True
        if entering:
            log.warning("Redis unavailable during session %s (%s): serving sessions from memory (degraded)",
                        operation, type(exc).__name__, extra={"operation": operation, "error": type(exc).__name__})

    def _recovered(self) -> None:
        with self._lock:
            was, self._in_fallback = self._in_fallback, False
            pending = bool(self._pending)
        if was:
            log.info("Redis reachable again: session store leaves the in-memory fallback")
        if pending:
            self.sync_pending()


def _dump(session: Session) -> str:
    return json.dumps({"id": session.id, "created_at": session.created_at,
                       "last_accessed_at": session.last_accessed_at}, separators=(",", ":"))


def _load(raw: bytes | str, *, accessed_at: float) -> Session | None:
    try:
        data = json.loads(raw)
        return Session(str(data["id"]), float(data["created_at"]), accessed_at)
    except (ValueError, KeyError, TypeError):
        return None  # not a session we wrote: treat as unknown
