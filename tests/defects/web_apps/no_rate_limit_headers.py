"""Defect: responses carry no rate-limit headers (Retry-After on the 429 stays)
(fails WIL-1.2-010/AC4 only)."""

from __future__ import annotations

from starlette.types import ASGIApp

from harness.web.app import create_app as reference
from harness.web.settings import AppSettings

from ._wrap import DropHeaders


def create_app(settings: AppSettings) -> ASGIApp:
    names = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "ratelimit", "ratelimit-policy")
    return DropHeaders(reference(settings), names)
