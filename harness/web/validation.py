"""``@validated(body=Model, query=Model)``: the one validation decorator of every API route.

The handler receives typed, coerced pydantic models: ``handler(request, body, query)``.
Every failure becomes the same structured 400 (see problems.py): a bad field, malformed
JSON, a wrong content type and an oversized body alike, code ``E400`` for the body and
``E401`` for the query string. Error details come from
``errors(include_input=False, include_url=False)`` and field paths keep only
identifier-like keys, so no client value is ever echoed back.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from .problems import Problem, from_exception
from .schemas import NoBody

B = TypeVar("B", bound=BaseModel)
Q = TypeVar("Q", bound=BaseModel)
Handler = Callable[[Request, B, Q], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]

BODY_CODE = "E400"
QUERY_CODE = "E401"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def _field(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) if isinstance(p, int) or _IDENT.match(p) else "*" for p in loc]
    return ".".join(parts) or "(root)"


def _message(error: Any) -> str:
    # Parsing errors may quote a piece of the input ("invalid character: found `x`"): keep the head only.
    if error["type"].endswith("_parsing") or error["type"] in ("value_error", "assertion_error"):
        return str(error["msg"]).split(",", 1)[0].split(":", 1)[0]
    return str(error["msg"])


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    return [{"field": _field(tuple(e["loc"])), "message": _message(e)}
            for e in exc.errors(include_input=False, include_url=False, include_context=False)]


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def read_json(request: Request, max_bytes: int) -> Any:
    """The parsed JSON body, or a Problem(400, E400) saying why not."""
    if not _is_json(request.headers.get("content-type", "")):
        raise Problem(400, BODY_CODE, "Request body must be JSON",
                      [{"field": "(content-type)", "message": "expected Content-Type: application/json"}])
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise Problem(400, BODY_CODE, "Request body is not valid JSON",
                      [{"field": "(body)", "message": "malformed JSON"}]) from None


def _too_large(max_bytes: int) -> Problem:
    return Problem(400, BODY_CODE, "Request body is too large",
                   [{"field": "(body)", "message": f"at most {max_bytes} bytes are accepted"}])


def parse_query(request: Request) -> dict[str, Any]:
    """Query parameters as a dict; a repeated name becomes a list."""
    out: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key in out:
            out[key] = (out[key] if isinstance(out[key], list) else [out[key]]) + [value]
        else:
            out[key] = value
    return out


def validated(body: type[B], query: type[Q]) -> Callable[[Handler[B, Q]], Endpoint]:
    """Validate body and query before the handler runs; ``NoBody`` skips reading the body."""

    def decorate(handler: Handler[B, Q]) -> Endpoint:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            max_bytes: int = getattr(request.app.state, "max_body_bytes", 1024 * 1024)
            try:
                if body is NoBody:
                    body_model = body()
                else:
                    try:
                        body_model = body.model_validate(await read_json(request, max_bytes))
                    except ValidationError as exc:
                        raise Problem(400, BODY_CODE, "Request body is invalid", field_errors(exc)) from None
                try:
                    query_model = query.model_validate(parse_query(request))
                except ValidationError as exc:
                    raise Problem(400, QUERY_CODE, "Query parameters are invalid", field_errors(exc)) from None
            except Problem as exc:
                return from_exception(exc)
            return await handler(request, body_model, query_model)

        endpoint.__validated__ = (body, query)  # type: ignore[attr-defined]
        return endpoint

    return decorate
