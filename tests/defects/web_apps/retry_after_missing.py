"""Defect: the 429 carries the X-RateLimit-* headers but no Retry-After, as with the plan's
getRateLimitHeaders (fails WIL-1.2-010/AC5 only)."""

from __future__ import annotations

from starlette.types import ASGIApp

from harness.web.app import create_app as reference
from harness.web.settings import AppSettings, RouteLimit

from ._wrap import DropHeaders


def plant(app: ASGIApp) -> ASGIApp:
    return DropHeaders(app, ("retry-after",), when=lambda status: status == 429)


def create_app(settings: AppSettings, *, limits: dict[str, RouteLimit] | None = None) -> ASGIApp:
    return plant(reference(settings, limits=limits))
