"""Sliding-window rate limiter: one Lua script per decision, on Redis's clock.

Each decision is one EVALSHA of sliding_window.lua (loaded once; NOSCRIPT after a
restart or SCRIPT FLUSH reloads it), keyed ``prefix + session_id + ":" + route``, so
the budget belongs to the session on that route, never to an IP. Every Redis call goes
through the circuit breaker. When Redis is unavailable the ``fallback`` policy decides,
and every such decision is counted and the switch is logged:

* ``"local"`` (default): an in-process sliding window (per process, bounded);
* ``"open"``: admit (availability first);
* ``"closed"``: deny with Retry-After = the window (protection first).
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import secrets
import threading
import time
from collections.abc import Mapping
from importlib import resources
from typing import Any, Literal

import redis

from harness.resilience import CircuitOpenError, counts_as_failure

from .local_window import LocalSlidingWindow
from .protocols import Decision, Limit

log = logging.getLogger("harness.redis.limiter")

DEFAULT_LIMIT = Limit(10, 60.0)
Fallback = Literal["local", "open", "closed"]
SCRIPT = resources.files(__package__).joinpath("sliding_window.lua").read_text()
SCRIPT_SHA = hashlib.sha1(SCRIPT.encode()).hexdigest()  # noqa: S324 - Redis names scripts by SHA-1


class SlidingWindowLimiter:
    """Reference limiter (contract: harness.redis.protocols.RateLimiter)."""

    def __init__(self, redis_client: redis.Redis, breaker: Any, *, default: Limit = DEFAULT_LIMIT,
                 routes: Mapping[str, Limit] | None = None, fallback: Fallback = "local",
                 prefix: str = "ratelimit:", local: LocalSlidingWindow | None = None) -> None:
        if fallback not in ("local", "open", "closed"):
            raise ValueError(f"fallback must be 'local', 'open' or 'closed', not {fallback!r}")
        self.redis = redis_client
        self.breaker = breaker
        self.default = default
        self.routes = dict(routes or {})
        self.fallback = fallback
        self.prefix = prefix
        self.local = local or LocalSlidingWindow()
        self._client_id = secrets.token_hex(6)
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._in_fallback = False
        self._counts = dict.fromkeys(("decisions", "denied", "redis_errors", "breaker_rejections",
                                      "fallback_decisions", "fallback_denied", "script_loads"), 0)

    def limit_for(self, route: str) -> Limit:
        return self.routes.get(route, self.default)

    def key(self, session_id: str, route: str) -> str:
        return f"{self.prefix}{session_id}:{route}"

    def check(self, session_id: str, route: str) -> Decision:
        if not session_id:
            raise ValueError("rate limits are per session: an empty session id cannot be limited")
        limit = self.limit_for(route)
        key = self.key(session_id, route)
        try:
            reply = self.breaker.call(self._eval, key, limit)
        except Exception as exc:
            if not (isinstance(exc, CircuitOpenError) or counts_as_failure(exc)):
                raise
            return self._fallback(key, limit, exc)
        if self._in_fallback:
            self._leave_fallback()
        flag, count, oldest_us, now_s, now_us = reply.split()  # bytes, or str with decode_responses
        allowed = int(flag) == 1
        reset_at = int(oldest_us) / 1e6 + limit.window_s
        now = int(now_s) + int(now_us) / 1e6
        decision = Decision(allowed=allowed, limit=limit.requests, remaining=max(0, limit.requests - int(count)),
                            reset_at=reset_at, retry_after_s=0.0 if allowed else max(0.0, reset_at - now),
                            window_s=limit.window_s, policy=limit.name, source="redis")
        self._tally(decision, fallback=False)
        return decision

    def metrics(self) -> dict[str, Any]:
        with self._lock:
            return {"fallback_policy": self.fallback, "in_fallback": self._in_fallback,
                    "local_windows": len(self.local), **self._counts}

    # -- internals ----------------------------------------------------------------------------
    def _eval(self, key: str, limit: Limit) -> Any:
        args = (limit.requests, int(round(limit.window_s * 1000)), f"{self._client_id}.{next(self._seq)}")
        try:
            return self.redis.evalsha(SCRIPT_SHA, 1, key, *args)
        except redis.exceptions.NoScriptError:
            # First call on this server, or after a restart / SCRIPT FLUSH: load once, retry once.
            self.redis.script_load(SCRIPT)
            with self._lock:
                self._counts["script_loads"] += 1
            return self.redis.evalsha(SCRIPT_SHA, 1, key, *args)

    def _fallback(self, key: str, limit: Limit, exc: BaseException) -> Decision:
        with self._lock:
            self._counts["breaker_rejections" if isinstance(exc, CircuitOpenError) else "redis_errors"] += 1
            entering = not self._in_fallback
            self._in_fallback = True
        if entering:
            log.warning("Redis unavailable for rate limiting (%s): fallback policy %r in force",
                        type(exc).__name__, self.fallback, extra={"policy": self.fallback,
                                                                  "error": type(exc).__name__})
        now = time.time()
        if self.fallback == "local":
            decision = self.local.check(key, limit)
        elif self.fallback == "open":
            decision = Decision(True, limit.requests, limit.requests - 1, now + limit.window_s, 0.0,
                                limit.window_s, limit.name, source="open")
        else:
            decision = Decision(False, limit.requests, 0, now + limit.window_s, limit.window_s,
                                limit.window_s, limit.name, source="closed")
        self._tally(decision, fallback=True)
        return decision

    def _leave_fallback(self) -> None:
        with self._lock:
            was, self._in_fallback = self._in_fallback, False
        if was:
            log.info("Redis reachable again: rate limiting back on the shared sliding window")

    def _tally(self, decision: Decision, *, fallback: bool) -> None:
        with self._lock:
            self._counts["decisions"] += 1
            self._counts["denied"] += not decision.allowed
            if fallback:
                self._counts["fallback_decisions"] += 1
                self._counts["fallback_denied"] += not decision.allowed
