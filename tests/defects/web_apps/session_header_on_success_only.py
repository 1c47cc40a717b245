"""Defect: X-Session-Id only on successful responses, as when the handler rather than the
middleware sets it; errors (400, 404, 429) lack it (fails WIL-1.2-007/AC6 only)."""

from __future__ import annotations

from starlette.types import ASGIApp

from harness.web.app import create_app as reference
from harness.web.settings import AppSettings

from ._wrap import DropHeaders


def create_app(settings: AppSettings) -> ASGIApp:
    return DropHeaders(reference(settings), ("x-session-id",), when=lambda status: status >= 400)
