"""Defect: maxmemory is read once and kept ("it does not change at runtime"), so a CONFIG SET
maxmemory never shows in the health answer (fails WIL-1.2-009/AC5 only)."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from harness.web.app import create_app as reference
from harness.web.health import HealthChecker
from harness.web.settings import AppSettings, RouteLimit


class MaxmemoryReadOnce(HealthChecker):
    _maxmemory: Any = None

    async def redis_info(self) -> dict[str, Any]:
        info = await super().redis_info()
        if self._maxmemory is None:
            self._maxmemory = info.get("maxmemory", 0)
        return {**info, "maxmemory": self._maxmemory}


health_class = MaxmemoryReadOnce


def create_app(settings: AppSettings, *, limits: dict[str, RouteLimit] | None = None) -> Starlette:
    return reference(settings, limits=limits, health_class=health_class)
