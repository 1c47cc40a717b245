"""Defect: MCP is treated as optional, left out of the overall status, so MCP down alone still
says "healthy" (fails WIL-1.2-008/AC3 only: one service down must give "degraded")."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from harness.web.app import create_app as reference
from harness.web.health import HealthChecker
from harness.web.settings import AppSettings, RouteLimit


class McpNotCounted(HealthChecker):
    @staticmethod
    def overall(services: dict[str, dict[str, Any]]) -> tuple[str, int]:
        return HealthChecker.overall({name: entry for name, entry in services.items() if name != "mcp"})


health_class = McpNotCounted


def create_app(settings: AppSettings, *, limits: dict[str, RouteLimit] | None = None) -> Starlette:
    return reference(settings, limits=limits, health_class=health_class)
