"""Defect: checks run one after another, MCP with the plan's 5 s timeout (fails WIL-1.2-008/AC5 only,
seen when MCP hangs)."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from harness.web.app import create_app as reference
from harness.web.health import HealthChecker
from harness.web.settings import AppSettings


class SequentialChecks(HealthChecker):
    def budgets(self) -> dict[str, float]:
        return {**super().budgets(), "mcp": 5.0}

    async def run(self) -> dict[str, dict[str, Any]]:
        b = self.budgets()
        database = await self.timed(self.check_database, b["database"])
        redis_entry = await self.timed(self.check_redis, b["redis"])
        mcp = await self.timed(self.check_mcp, b["mcp"])
        return {"database": database, "redis": self._decorate_redis(redis_entry), "mcp": mcp}


def create_app(settings: AppSettings) -> Starlette:
    return reference(settings, health_class=SequentialChecks)
