"""Configuration of the reference app, read from the plan's environment variables.

Precedence: explicit ``AppSettings(...)`` arguments > environment > defaults. The
dataclass is frozen: the app never changes its configuration while it runs.

Variables: ``DATABASE_POOL_URL`` (falls back to ``DATABASE_URL``), ``REDIS_HOST``,
``REDIS_PORT``, ``REDIS_PASSWORD``, ``REDIS_TLS_*``, ``REDIS_DB``, ``MCP_SERVER_URL``,
``APP_VERSION``; harness-specific: ``HEALTH_CHECK_TIMEOUT_MS`` (per dependency, 300),
``MAX_BODY_BYTES`` (1 MiB), ``RATE_LIMIT_DEFAULT`` ("10/60") and ``RATE_LIMIT_ROUTES``
("/api/v1/process=5/60,/api/v1/upload=10/60").
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from harness.redis.client import RedisSettings

DEFAULT_CHECK_TIMEOUT_S = 0.3
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class SettingsError(ValueError):
    """A configuration value could not be understood; the message names the variable."""


@dataclass(frozen=True)
class RouteLimit:
    """``requests`` admitted per sliding ``window_s`` (the plan's default: 10 per 60 s)."""

    requests: int = 10
    window_s: float = 60.0

    @classmethod
    def parse(cls, text: str, *, variable: str) -> RouteLimit:
        count, sep, window = text.strip().partition("/")
        try:
            limit = cls(int(count), float(window) if sep else 60.0)
        except ValueError as exc:
            raise SettingsError(f"{variable}: {text!r} is not REQUESTS/WINDOW_S, e.g. 10/60") from exc
        if limit.requests < 1 or limit.window_s <= 0:
            raise SettingsError(f"{variable}: {text!r} needs requests >= 1 and a positive window")
        return limit


def parse_routes(text: str, *, variable: str = "RATE_LIMIT_ROUTES") -> dict[str, RouteLimit]:
    """``"/api/v1/process=5/60,/api/v1/upload=20/60"`` -> {route: RouteLimit}."""
    routes: dict[str, RouteLimit] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        route, sep, spec = item.partition("=")
        if not sep or not route.startswith("/"):
            raise SettingsError(f"{variable}: {item!r} is not /route=REQUESTS/WINDOW_S")
        routes[route] = RouteLimit.parse(spec, variable=variable)
    return routes


@dataclass(frozen=True)
class AppSettings:
    database_url: str | None
    redis: RedisSettings
    mcp_server_url: str | None = None
    app_version: str = "1.0.0"
    check_timeout_s: float = DEFAULT_CHECK_TIMEOUT_S
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    default_limit: RouteLimit = RouteLimit()
    route_limits: Mapping[str, RouteLimit] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AppSettings:
        env = os.environ if env is None else env
        try:
            timeout_ms = float(env.get("HEALTH_CHECK_TIMEOUT_MS", "300"))
            max_body = int(env.get("MAX_BODY_BYTES", str(DEFAULT_MAX_BODY_BYTES)))
        except ValueError as exc:
            raise SettingsError(f"HEALTH_CHECK_TIMEOUT_MS / MAX_BODY_BYTES must be numbers: {exc}") from exc
        return cls(
            database_url=env.get("DATABASE_POOL_URL") or env.get("DATABASE_URL") or None,
            redis=RedisSettings.from_env(env),
            mcp_server_url=(env.get("MCP_SERVER_URL") or "").rstrip("/") or None,
            app_version=env.get("APP_VERSION") or "1.0.0",
            check_timeout_s=timeout_ms / 1000.0,
            max_body_bytes=max_body,
            default_limit=RouteLimit.parse(env.get("RATE_LIMIT_DEFAULT", "10/60"), variable="RATE_LIMIT_DEFAULT"),
            route_limits=parse_routes(env.get("RATE_LIMIT_ROUTES", "")),
        )

    def limit_for(self, route: str) -> RouteLimit:
        return self.route_limits.get(route, self.default_limit)
