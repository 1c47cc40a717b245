"""Defect: the documents route validates its query by hand, outside ``@validated``, and answers
with the plan's bare {code, message, details} as application/json: right code, different shape
from every other route (fails WIL-1.2-011/AC5 only)."""

from __future__ import annotations

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from harness.web.app import create_app as reference
from harness.web.schemas import ListQuery
from harness.web.settings import AppSettings, RouteLimit
from harness.web.validation import field_errors, parse_query

from ._routes import replace_route


async def documents(request: Request) -> Response:
    try:
        query = ListQuery.model_validate(parse_query(request))
    except ValidationError as exc:
        return JSONResponse({"code": "E401", "message": "Invalid query parameters", "details": field_errors(exc)},
                            status_code=400)
    return JSONResponse({"accepted": {"query": query.model_dump(mode="json")}, "items": [],
                         "nextOffset": query.offset + query.limit})


def plant(app: Starlette) -> Starlette:
    return replace_route(app, "/api/v1/documents", documents, ["GET"])


def create_app(settings: AppSettings, *, limits: dict[str, RouteLimit] | None = None) -> Starlette:
    return plant(reference(settings, limits=limits))
