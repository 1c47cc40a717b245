"""Defect: evicted_keys read from INFO memory, as the plan's sketch does (fails WIL-1.2-009/AC2 only).

INFO memory has no evicted_keys field, so the value is always missing."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from harness.web.app import create_app as reference
from harness.web.health import HealthChecker
from harness.web.settings import AppSettings


class InfoMemoryOnly(HealthChecker):
    async def redis_info(self) -> dict[str, Any]:
        info: dict[str, Any] = await self.redis.info("memory")
        return info


def create_app(settings: AppSettings) -> Starlette:
    return reference(settings, health_class=InfoMemoryOnly)
