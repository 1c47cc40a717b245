"""Defect: the version is a constant set at release ("1.0.0", the plan's fallback) instead of
APP_VERSION, so a deployment of any other version still says 1.0.0 (fails WIL-1.2-008/AC4 only)."""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.applications import Starlette

from harness.web.app import create_app as reference
from harness.web.health import HealthChecker
from harness.web.settings import AppSettings, RouteLimit

__version__ = "1.0.0"


class HardcodedVersion(HealthChecker):
    def __init__(self, settings: AppSettings, **kwargs: Any) -> None:
        super().__init__(dataclasses.replace(settings, app_version=__version__), **kwargs)


health_class = HardcodedVersion


def create_app(settings: AppSettings, *, limits: dict[str, RouteLimit] | None = None) -> Starlette:
    return reference(settings, limits=limits, health_class=health_class)
