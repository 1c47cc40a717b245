"""ASGI helpers for defects that live at the HTTP edge (header handling)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class DropHeaders:
    """Remove ``names`` from responses for which ``when(status)`` holds."""

    def __init__(self, app: ASGIApp, names: tuple[str, ...], when: Callable[[int], bool] = lambda status: True) -> None:
        self.app = app
        self.names = names
        self.when = when

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def strip(message: Message) -> None:
            if message["type"] == "http.response.start" and self.when(message["status"]):
                headers = MutableHeaders(scope=message)
                for name in self.names:
                    if name in headers:
                        del headers[name]
            await send(message)

        await self.app(scope, receive, strip)
