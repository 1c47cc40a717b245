"""Defect: the memory warning compares the ratio used/max (0..1) with 80, so it never fires
(fails WIL-1.2-009/AC4 only)."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from harness.web.app import create_app as reference
from harness.web.health import HealthChecker
from harness.web.settings import AppSettings, RouteLimit


class WarningOnRatio(HealthChecker):
    async def check_redis(self, budget: float) -> dict[str, Any]:
        entry = await super().check_redis(budget)
        metrics = entry["metrics"]
        ratio = metrics["usedMemory"] / metrics["maxMemory"] if metrics["maxMemory"] else 0.0
        metrics["memoryWarning"] = ratio > 80  # a fraction compared with a percentage
        return entry


health_class = WarningOnRatio


def create_app(settings: AppSettings, *, limits: dict[str, RouteLimit] | None = None) -> Starlette:
    return reference(settings, limits=limits, health_class=health_class)
