"""Pure ASGI middlewares: sessions (WIL-1.2-007) and per-session rate limits (WIL-1.2-010).

SessionMiddleware: an ``X-Session-Id`` is adopted only when it is a canonical UUID4
*and* the store knows it; anything else (absent, malformed, forged, expired) gets a new
session. The response always carries the id in effect, never the value the client
sent unless it was adopted. RateLimitMiddleware keys the limiter on that session and the
route, adds ``X-RateLimit-*`` plus the IETF ``RateLimit``/``RateLimit-Policy`` fields,
and answers 429 (problem+json, ``Retry-After``) past the limit. The store and limiter are
synchronous (redis-py); they run in the thread pool so the event loop never blocks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harness.redis import headers as _headers
from harness.redis.protocols import Decision

from .deps import DecisionLike, LimiterLike, SessionStoreLike
from .problems import PROBLEM_JSON, problem_response

HeadersFn = Callable[[DecisionLike], dict[str, str]]
BodyFn = Callable[[DecisionLike, str], dict[str, Any]]

SESSION_HEADER = "X-Session-Id"
_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def session_id_of(scope: Scope) -> str | None:
    state: dict[str, Any] = scope.get("state", {})
    value = state.get("session_id")
    return value if isinstance(value, str) else None


class SessionMiddleware:
    def __init__(self, app: ASGIApp, store: SessionStoreLike, *, exclude: Collection[str] = ("/api/v1/health",)) -> None:
        self.app = app
        self.store = store
        self.exclude = frozenset(exclude)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exclude:
            await self.app(scope, receive, send)
            return
        offered = _header(scope, b"x-session-id")
        try:
            session = None
            if offered is not None and len(offered) == 36 and _CANONICAL.fullmatch(offered):
                session = await run_in_threadpool(self.store.get, offered)
            if session is None:
                session = await run_in_threadpool(self.store.create)
        except Exception:  # noqa: BLE001 - the store's own fallback failed too
            response = problem_response(503, "E503", "Session store unavailable", headers={"Retry-After": "5"})
            await response(scope, receive, send)
            return
        session_id = session.id
        scope.setdefault("state", {})["session_id"] = session_id

        async def send_with_session(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[SESSION_HEADER] = session_id
            await send(message)

        await self.app(scope, receive, send_with_session)


def _full(decision: DecisionLike) -> Decision:
    """A limiter's decision as the Redis layer's Decision (window and policy default as in the plan)."""
    if isinstance(decision, Decision):
        return decision
    return Decision(decision.allowed, decision.limit, decision.remaining, decision.reset_at, decision.retry_after_s,
                    window_s=getattr(decision, "window_s", 60.0), policy=str(getattr(decision, "policy", "default")))


def rate_limit_headers(decision: DecisionLike, *, now: float | None = None) -> dict[str, str]:
    """``X-RateLimit-*`` (the plan; Reset in epoch seconds), the IETF draft fields and ``Retry-After``:
    rendered by harness.redis.headers, the one source of truth."""
    return _headers.rate_limit_headers(_full(decision), now=now)


def problem_429(decision: DecisionLike, route: str) -> dict[str, Any]:
    """The Redis layer's 429 problem, in the app's one error shape (with ``message`` and ``details``)."""
    problem = _headers.problem_429(_full(decision), route=route)
    problem.setdefault("message", problem["detail"])
    problem.setdefault("details", [])
    return problem


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limiter: LimiterLike, *, routes: Collection[str],
                 headers: HeadersFn = rate_limit_headers, body: BodyFn = problem_429) -> None:
        self.app = app
        self.limiter = limiter
        self.routes = frozenset(routes)
        self.render_headers = headers
        self.render_body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.routes:
            await self.app(scope, receive, send)
            return
        session_id = session_id_of(scope)
        if session_id is None:
            raise RuntimeError("RateLimitMiddleware needs SessionMiddleware outside it (no session id in scope)")
        try:
            decision = await run_in_threadpool(self.limiter.check, session_id, scope["path"])
        except Exception:  # noqa: BLE001 - the limiter's own fallback failed too
            response = problem_response(503, "E503", "Rate limiter unavailable", headers={"Retry-After": "5"})
            await response(scope, receive, send)
            return
        headers = self.render_headers(decision)
        if not decision.allowed:
            response = JSONResponse(self.render_body(decision, scope["path"]), status_code=429, headers=headers,
                                    media_type=PROBLEM_JSON)
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                mutable = MutableHeaders(scope=message)
                for key, value in headers.items():
                    mutable[key] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
