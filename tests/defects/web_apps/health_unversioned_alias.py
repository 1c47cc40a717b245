"""Defect: /api/health kept as an alias of /api/v1/health "for old probes" (fails WIL-1.2-008/AC1 only:
the versioned path is the only one that may serve health)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from harness.web.app import create_app as reference
from harness.web.settings import AppSettings, RouteLimit


class UnversionedAlias:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/api/health":
            scope = {**scope, "path": "/api/v1/health", "raw_path": b"/api/v1/health"}
        await self.app(scope, receive, send)


def plant(app: ASGIApp) -> ASGIApp:
    return UnversionedAlias(app)


def create_app(settings: AppSettings, *, limits: dict[str, RouteLimit] | None = None) -> ASGIApp:
    return plant(reference(settings, limits=limits))
