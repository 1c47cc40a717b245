"""Helpers for defects inside the routes: swap one route of the reference app, and a port of
``@validated`` with the two knobs a developer could get wrong (the query error code, and
handing the handler the raw input instead of the validated models)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.web import app as web
from harness.web.problems import Problem, from_exception
from harness.web.schemas import NoBody
from harness.web.validation import BODY_CODE, QUERY_CODE, field_errors, parse_query, read_json

Endpoint = Callable[[Request], Awaitable[Response]]


def handler(name: str) -> Any:
    """The reference app's handler ``name`` without its ``@validated`` (to validate it differently)."""
    return getattr(web, name).__wrapped__


def replace_route(app: Starlette, path: str, endpoint: Endpoint, methods: list[str]) -> Starlette:
    """``app`` with the route at ``path`` served by ``endpoint`` (the middleware stays as it is)."""
    routes = app.router.routes
    for i, route in enumerate(routes):
        if isinstance(route, Route) and route.path == path:
            routes[i] = Route(path, endpoint, methods=methods)
            return app
    raise LookupError(f"the reference app has no route {path}")


def validated_variant(body: type[BaseModel], query: type[BaseModel], *, query_code: str = QUERY_CODE,
                      raw: bool = False) -> Callable[[Callable[..., Awaitable[Response]]], Endpoint]:
    """harness.web.validation.validated, but with ``query_code`` for query errors and, when ``raw``,
    the handler called with the parsed JSON and the query dict instead of the models."""

    def decorate(handler: Callable[..., Awaitable[Response]]) -> Endpoint:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            max_bytes: int = getattr(request.app.state, "max_body_bytes", 1024 * 1024)
            payload: Any = {}
            try:
                if body is NoBody:
                    body_model: BaseModel = body()
                else:
                    payload = await read_json(request, max_bytes)
                    try:
                        body_model = body.model_validate(payload)
                    except ValidationError as exc:
                        raise Problem(400, BODY_CODE, "Request body is invalid", field_errors(exc)) from None
                params = parse_query(request)
                try:
                    query_model = query.model_validate(params)
                except ValidationError as exc:
                    raise Problem(400, query_code, "Query parameters are invalid", field_errors(exc)) from None
            except Problem as exc:
                return from_exception(exc)
            if raw:
                return await handler(request, payload, params)
            return await handler(request, body_model, query_model)

        endpoint.__validated__ = (body, query)  # type: ignore[attr-defined]
        return endpoint

    return decorate
