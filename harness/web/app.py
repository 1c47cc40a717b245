"""The reference ASGI app (Starlette): health, validated routes, sessions, rate limits.

    app = create_app(AppSettings.from_env())                 # uvicorn --factory, or cli.py
    app = create_app(settings, limits={"/api/v1/process": RouteLimit(5, 60)})

Middleware order (outermost first): sessions -> rate limit -> routes. /api/v1/health
is outside the session middleware: a probe must not mint sessions, and health must
answer when the session store cannot.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import psycopg_pool
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness.redis.client import create_client

from .health import HealthChecker
from .middleware import RateLimitMiddleware, SessionMiddleware, session_id_of
from .problems import problem_response
from .schemas import ListQuery, NoBody, NoQuery, ProcessQuery, ProcessRequest, UploadRequest
from .settings import AppSettings, RouteLimit
from .validation import validated
from .wiring import Components, build_components

RATE_LIMITED = ("/api/v1/upload", "/api/v1/process")


@validated(body=UploadRequest, query=NoQuery)
async def upload(request: Request, body: UploadRequest, query: NoQuery) -> Response:
    return JSONResponse({"accepted": body.model_dump(mode="json"), "sessionId": session_id_of(request.scope)},
                        status_code=201)


@validated(body=ProcessRequest, query=ProcessQuery)
async def process(request: Request, body: ProcessRequest, query: ProcessQuery) -> Response:
    # Typed access: a UUID object, ints and bools, not strings.
    return JSONResponse({"accepted": {"body": body.model_dump(mode="json"), "query": query.model_dump(mode="json")},
                         "documentVersion": body.document_id.version, "pageCount": len(body.options.pages),
                         "lastPage": max(body.options.pages, default=0)}, status_code=202)


@validated(body=NoBody, query=ListQuery)
async def documents(request: Request, body: NoBody, query: ListQuery) -> Response:
    return JSONResponse({"accepted": {"query": query.model_dump(mode="json")}, "items": [],
                         "nextOffset": query.offset + query.limit})


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return problem_response(status, f"E{status}", str(getattr(exc, "detail", "")) or "Request failed")


async def _server_error(request: Request, exc: Exception) -> Response:
    return problem_response(500, "E500", "Internal error")


def _async_redis(settings: AppSettings) -> aioredis.Redis:
    s = settings.redis
    budget = settings.check_timeout_s
    return aioredis.Redis(host=s.host, port=s.port, db=s.db, password=s.password, ssl=s.tls,
                          ssl_ca_certs=s.ca_path, ssl_certfile=s.cert_path, ssl_keyfile=s.key_path,
                          ssl_cert_reqs="required", socket_connect_timeout=budget, socket_timeout=budget,
                          retry=Retry(NoBackoff(), 0), max_connections=8)


def create_app(settings: AppSettings, *, limits: Mapping[str, RouteLimit] | None = None,
               components: Components | None = None, health_class: type[HealthChecker] = HealthChecker) -> Starlette:
    """The app. ``limits`` overrides per-route limits of ``settings``; ``components`` injects
    a session store / limiter / breaker (default: wiring.build_components)."""
    if limits:
        settings = dataclasses.replace(settings, route_limits={**settings.route_limits, **limits})
    sync_redis = create_client(settings.redis) if components is None else None
    parts = components or build_components(settings, sync_redis)  # type: ignore[arg-type]
    holder: dict[str, HealthChecker] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool = None
        if settings.database_url:
            pool = psycopg_pool.AsyncConnectionPool(
                settings.database_url, min_size=1, max_size=4, open=False, name="health",
                # A connection broken by a database restart is replaced, not reported as an outage.
                check=psycopg_pool.AsyncConnectionPool.check_connection,
                kwargs={"prepare_threshold": None, "autocommit": True, "connect_timeout": 5})
            await pool.open(wait=False)  # a database that is down must not stop the app
        redis_client = _async_redis(settings)
        async with httpx.AsyncClient(follow_redirects=False) as http:
            holder["health"] = health_class(settings, pool=pool, redis_client=redis_client, http=http,
                                            breaker=parts.breaker, sessions=parts.sessions)
            try:
                yield
            finally:
                await redis_client.aclose()
                if pool is not None:
                    await pool.close(timeout=1.0)
                if sync_redis is not None:
                    sync_redis.close()

    async def health(request: Request) -> Response:
        return await holder["health"].endpoint(request)

    exception_handlers: dict[Any, Any] = {HTTPException: _http_error, Exception: _server_error}
    app = Starlette(
        routes=[Route("/api/v1/health", health, methods=["GET"]),
                Route("/api/v1/upload", upload, methods=["POST"]),
                Route("/api/v1/process", process, methods=["POST"]),
                Route("/api/v1/documents", documents, methods=["GET"])],
        middleware=[Middleware(SessionMiddleware, store=parts.sessions),
                    Middleware(RateLimitMiddleware, limiter=parts.limiter, routes=RATE_LIMITED,
                               headers=parts.headers, body=parts.problem_429)],
        exception_handlers=exception_handlers, lifespan=lifespan)
    app.state.settings = settings
    app.state.components = parts
    app.state.max_body_bytes = settings.max_body_bytes
    app.state.health = holder
    return app
