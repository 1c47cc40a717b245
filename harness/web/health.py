"""GET /api/v1/health (WIL-1.2-008): database, Redis and MCP checked concurrently.

Each check runs under its own budget (``check_timeout_s``, 300 ms by default), so the
whole answer comes within ~budget even when a dependency hangs; the plan's sketch
waits up to 5 s for MCP. Overall: every service up -> ``healthy`` (200), every service
down -> ``unhealthy`` (503), otherwise ``degraded`` (200). Messages name the failure
class only (no URL, host or password). Subclass and override a ``check_*`` method or
``run`` to vary the behaviour (the planted defects do).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import psycopg_pool
import redis
import redis.asyncio as aioredis
from starlette.requests import Request
from starlette.responses import JSONResponse

from .deps import BreakerLike, describe_breaker, store_degraded
from .redis_metrics import classify_latency, memory_metrics, ping_ms, read_info
from .settings import AppSettings

CACHE_CONTROL = "no-cache, no-store, must-revalidate"
Check = Callable[[float], Awaitable[dict[str, Any]]]


def describe_failure(exc: BaseException, budget_s: float) -> str:
    """A message that says what failed without repeating anything secret."""
    if isinstance(exc, (TimeoutError, psycopg_pool.PoolTimeout, httpx.TimeoutException, redis.TimeoutError)):
        return f"no answer within {budget_s * 1000:.0f} ms"
    if isinstance(exc, redis.AuthenticationError):
        return "authentication failed"
    if isinstance(exc, (redis.ConnectionError, httpx.ConnectError, OSError)):
        return f"connection failed ({type(exc).__name__})"
    return f"check failed ({type(exc).__name__})"


class HealthChecker:
    def __init__(self, settings: AppSettings, *, pool: psycopg_pool.AsyncConnectionPool | None,
                 redis_client: aioredis.Redis, http: httpx.AsyncClient, breaker: BreakerLike | None = None,
                 sessions: object | None = None) -> None:
        self.settings = settings
        self.pool = pool
        self.redis = redis_client
        self.http = http
        self.breaker = breaker
        self.sessions = sessions

    def budgets(self) -> dict[str, float]:
        t = self.settings.check_timeout_s
        return {"database": t, "redis": t, "mcp": t}

    async def check_database(self, budget: float) -> dict[str, Any]:
        if self.pool is None:
            raise RuntimeError("DATABASE_POOL_URL is not set")
        async with self.pool.connection(timeout=budget) as conn:
            await conn.execute("SELECT 1")
        return {}

    async def check_redis(self, budget: float) -> dict[str, Any]:
        latency = await ping_ms(self.redis)
        return {"latencyStatus": classify_latency(latency), "pingMs": round(latency, 2),
                "metrics": memory_metrics(await self.redis_info())}

    async def redis_info(self) -> dict[str, Any]:
        return await read_info(self.redis)

    async def check_mcp(self, budget: float) -> dict[str, Any]:
        if not self.settings.mcp_server_url:
            raise RuntimeError("MCP_SERVER_URL is not set")
        response = await self.http.get(f"{self.settings.mcp_server_url}/health", timeout=budget)
        if response.status_code >= 300:
            return {"status": "down", "message": f"MCP /health answered HTTP {response.status_code}"}
        return {}

    async def timed(self, check: Check, budget: float) -> dict[str, Any]:
        start = time.perf_counter()
        try:
            extra = await asyncio.wait_for(check(budget), timeout=budget)
            entry: dict[str, Any] = {"status": "up"}
            entry.update(extra)
        except (Exception, asyncio.TimeoutError) as exc:  # noqa: BLE001 - every failure is a "down"
            entry = {"status": "down", "message": describe_failure(exc, budget)}
        entry["latencyMs"] = round((time.perf_counter() - start) * 1000.0, 2)
        return entry

    async def run(self) -> dict[str, dict[str, Any]]:
        b = self.budgets()
        database, redis_entry, mcp = await asyncio.gather(
            self.timed(self.check_database, b["database"]), self.timed(self.check_redis, b["redis"]),
            self.timed(self.check_mcp, b["mcp"]))
        return {"database": database, "redis": self._decorate_redis(redis_entry), "mcp": mcp}

    def _decorate_redis(self, entry: dict[str, Any]) -> dict[str, Any]:
        entry.setdefault("latencyStatus", "timeout")
        entry["breaker"] = describe_breaker(self.breaker)
        entry["sessionStoreDegraded"] = store_degraded(self.sessions)
        return entry

    @staticmethod
    def overall(services: dict[str, dict[str, Any]]) -> tuple[str, int]:
        states = [s["status"] for s in services.values()]
        if all(s == "up" for s in states):
            return "healthy", 200
        if all(s == "down" for s in states):
            return "unhealthy", 503
        return "degraded", 200

    def headers(self) -> dict[str, str]:
        return {"Cache-Control": CACHE_CONTROL, "Pragma": "no-cache", "Expires": "0"}

    async def endpoint(self, request: Request) -> JSONResponse:
        services = await self.run()
        status, code = self.overall(services)
        body = {"status": status, "version": self.settings.app_version,
                "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "services": services}
        return JSONResponse(body, status_code=code, headers=self.headers())
