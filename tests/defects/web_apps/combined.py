"""Defective apps carrying one planted defect per TASK, so one sign-off run judges three defects.

Each single-defect module offers its defect as ``health_class`` (a HealthChecker subclass; several
combine by inheritance, each overriding a different method) or ``plant(app) -> app`` (a route
swap or an ASGI wrapper). A combination never holds two defects of the same task, so the run's
verdict per task is still exactly that one defect's (test_web_defects_2 asserts it per task).

    --impl web_app=tests.defects.web_apps.combined:db_not_queried__zero_percent__own_error_shape
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp

from harness.web.app import create_app as reference
from harness.web.health import HealthChecker
from harness.web.settings import AppSettings, RouteLimit

Factory = Callable[..., ASGIApp]


def combine(*names: str) -> Factory:
    """The reference app with the defects of the modules ``names`` (route swaps before wrappers)."""
    modules = [importlib.import_module(f"{__package__}.{name}") for name in names]
    healths: tuple[type[HealthChecker], ...] = tuple(m.health_class for m in modules if hasattr(m, "health_class"))
    plants: list[Callable[[Any], Any]] = [m.plant for m in modules if hasattr(m, "plant")]
    health = type("Combined_" + "_".join(names), healths, {}) if healths else HealthChecker

    def create_app(settings: AppSettings, *, limits: dict[str, RouteLimit] | None = None) -> ASGIApp:
        app: Any = reference(settings, limits=limits, health_class=health)
        for plant in plants:
            app = plant(app)
        return app  # type: ignore[no-any-return]

    return create_app


# In process (the checks break the app's own servers): 008 + 009 + 011.
db_not_queried__zero_percent__own_error_shape = combine(
    "health_database_not_queried", "metrics_no_limit_zero_percent", "documents_own_error_shape")
mcp_not_counted__latency_in_s__lax_query = combine(
    "health_mcp_not_counted", "latency_status_in_seconds", "list_query_lax")
version_hardcoded__warning_on_ratio__query_e400 = combine(
    "health_version_hardcoded", "memory_warning_on_ratio", "query_errors_e400")
maxmemory_once__raw_input = combine("maxmemory_read_once", "handlers_get_raw_input")
# By URL (observable from outside): 008 + 010 + 011; the route swap first, the wrappers around it.
lax_upload__no_retry_after__unversioned_alias = combine(
    "upload_schema_lax", "retry_after_missing", "health_unversioned_alias")
