"""Defect: a body that is not JSON crashes the request (HTTP 500) instead of the structured 400
(fails WIL-1.2-011/AC3 only)."""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harness.web.app import create_app as reference
from harness.web.settings import AppSettings


class ParseBeforeValidation:
    """Parses POST bodies itself, like ``await req.json()`` outside any try."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            json.loads(body)
        except Exception:  # noqa: BLE001 - the defect: an unhandled parse error
            await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def create_app(settings: AppSettings) -> ASGIApp:
    app: Starlette = reference(settings)
    return ParseBeforeValidation(app)
