"""Defect: the database check looks at the pool object instead of asking the database, so an
unreachable database is reported "up" (fails WIL-1.2-008/AC2 and, through the same outage
checks, AC3: the overall status cannot follow a database nobody asked)."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from harness.web.app import create_app as reference
from harness.web.health import HealthChecker
from harness.web.settings import AppSettings, RouteLimit


class PoolOpenMeansUp(HealthChecker):
    async def check_database(self, budget: float) -> dict[str, Any]:
        if self.pool is None or self.pool.closed:
            raise RuntimeError("database pool is not open")
        return {}  # no SELECT 1: the pool being open is taken for the database being up


health_class = PoolOpenMeansUp


def create_app(settings: AppSettings, *, limits: dict[str, RouteLimit] | None = None) -> Starlette:
    return reference(settings, limits=limits, health_class=health_class)
