"""Defect: the plan's ``maxmemory || Infinity``: with no memory limit the usage is reported as 0 %
instead of "no limit" (null) (fails WIL-1.2-009/AC1 only)."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from harness.web.app import create_app as reference
from harness.web.health import HealthChecker
from harness.web.settings import AppSettings, RouteLimit


class NoLimitIsZeroPercent(HealthChecker):
    async def check_redis(self, budget: float) -> dict[str, Any]:
        entry = await super().check_redis(budget)
        metrics = entry["metrics"]
        if not metrics["maxMemory"]:
            metrics["memoryPercent"] = 0.0  # used / Infinity * 100
        return entry


health_class = NoLimitIsZeroPercent


def create_app(settings: AppSettings, *, limits: dict[str, RouteLimit] | None = None) -> Starlette:
    return reference(settings, limits=limits, health_class=health_class)
