"""Defect: the health answer has no Cache-Control header (fails WIL-1.2-008/AC6 only)."""

from __future__ import annotations

from starlette.applications import Starlette

from harness.web.app import create_app as reference
from harness.web.health import HealthChecker
from harness.web.settings import AppSettings


class NoCacheHeaders(HealthChecker):
    def headers(self) -> dict[str, str]:
        return {}


def create_app(settings: AppSettings) -> Starlette:
    return reference(settings, health_class=NoCacheHeaders)
