"""A synchronous client that drives an ASGI app in process through ``httpx.ASGITransport``.

The app runs in one private event loop (a daemon thread) for the client's whole life,
with its lifespan started and stopped, so pools and Redis connections opened at startup
stay bound to a live loop. No socket is opened. (Starlette's TestClient does the same
but warns about httpx, and the suites run with warnings as errors.)
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine, Iterable
from typing import Any, TypeVar

import httpx
from starlette.types import ASGIApp, Message

T = TypeVar("T")


async def _aiter(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


class InProcessClient:
    def __init__(self, app: ASGIApp, *, base_url: str = "http://testserver", timeout_s: float = 30.0) -> None:
        self.app = app
        self.base_url = base_url
        self.timeout_s = timeout_s
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="inprocess-asgi", daemon=True)
        self._thread.start()
        self._client: httpx.AsyncClient | None = None
        self._shutdown: asyncio.Event | None = None
        self._lifespan: asyncio.Future[None] | None = None
        self._run(self._start())

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(self.timeout_s)

    async def _start(self) -> None:
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=self.base_url)
        self._shutdown = asyncio.Event()
        started: asyncio.Future[None] = self._loop.create_future()
        stopped: asyncio.Future[None] = self._loop.create_future()
        self._lifespan = stopped
        events = iter([{"type": "lifespan.startup"}])

        async def receive() -> Message:
            event = next(events, None)
            if event is not None:
                return event
            assert self._shutdown is not None
            await self._shutdown.wait()
            return {"type": "lifespan.shutdown"}

        async def send(message: Message) -> None:
            kind = message["type"]
            if kind == "lifespan.startup.complete":
                started.set_result(None)
            elif kind == "lifespan.startup.failed":
                started.set_exception(RuntimeError(f"app startup failed: {message.get('message', '')}"))
            elif kind.startswith("lifespan.shutdown") and not stopped.done():
                stopped.set_result(None)

        async def run() -> None:
            try:
                await self.app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
            except Exception as exc:  # noqa: BLE001 - an app without lifespan support
                if not started.done():
                    started.set_exception(exc)
            for fut in (started, stopped):
                if not fut.done():
                    fut.set_result(None)

        self._loop.create_task(run())
        await started

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        assert self._client is not None
        content = kwargs.get("content")
        if isinstance(content, Iterable) and not isinstance(content, (bytes, bytearray, str)):
            kwargs["content"] = _aiter(content)  # a streamed (chunked) body, as over real HTTP
        return self._run(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    async def _stop(self) -> None:
        assert self._shutdown is not None and self._client is not None and self._lifespan is not None
        self._shutdown.set()
        await asyncio.wait_for(self._lifespan, timeout=10)
        await self._client.aclose()

    def close(self) -> None:
        if self._loop.is_closed():
            return
        try:
            self._run(self._stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()

    def __enter__(self) -> InProcessClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
