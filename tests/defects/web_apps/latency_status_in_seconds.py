"""Defect: the PING time is classified in seconds against the millisecond thresholds (10, 100), so
every answer short of 10 s is "good" (fails WIL-1.2-009/AC3 only: a 35 ms PING must be "slow")."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from harness.web.app import create_app as reference
from harness.web.health import HealthChecker
from harness.web.redis_metrics import classify_latency
from harness.web.settings import AppSettings, RouteLimit


class LatencyInSeconds(HealthChecker):
    async def check_redis(self, budget: float) -> dict[str, Any]:
        entry = await super().check_redis(budget)
        entry["latencyStatus"] = classify_latency(entry["pingMs"] / 1000.0)  # seconds, thresholds in ms
        return entry


health_class = LatencyInSeconds


def create_app(settings: AppSettings, *, limits: dict[str, RouteLimit] | None = None) -> Starlette:
    return reference(settings, limits=limits, health_class=health_class)
