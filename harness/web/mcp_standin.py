"""A small stand-in for the MCP server: GET /health is up, down (503), slow or hanging.

    standin = McpStandin(mode="hang")
    with ThreadedServer(standin.app) as url: ...       # or: python -m harness.web.cli mcp-standin
    standin.mode = "slow"; standin.delay_s = 0.05       # switch at any time (thread-safe enough: one attribute)

Hanging requests poll the mode, so switching away from "hang" (or ``release()``)
lets them finish and the server shut down promptly.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Mode = Literal["up", "down", "slow", "hang"]
MODES: tuple[Mode, ...] = ("up", "down", "slow", "hang")


class McpStandin:
    def __init__(self, mode: Mode = "up", *, delay_s: float = 0.05) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.mode: Mode = mode
        self.delay_s = delay_s
        self.requests = 0
        self.app = Starlette(routes=[Route("/health", self.health, methods=["GET"])])

    def release(self) -> None:
        """End every hanging request (they then answer 503)."""
        if self.mode == "hang":
            self.mode = "down"

    async def health(self, request: Request) -> Response:
        self.requests += 1
        if self.mode == "slow":
            await asyncio.sleep(self.delay_s)
        while self.mode == "hang":
            await asyncio.sleep(0.02)
        if self.mode == "down":
            return JSONResponse({"status": "down"}, status_code=503)
        return JSONResponse({"status": "up"})
