"""The reference web layer: a Starlette app with health, validation, sessions and rate limits."""

from .app import create_app
from .settings import AppSettings, RouteLimit

__all__ = ["AppSettings", "RouteLimit", "create_app"]
