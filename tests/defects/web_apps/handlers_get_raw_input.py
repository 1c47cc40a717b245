"""Defect: requests are validated, but the handlers get the raw JSON and query strings, not the
validated models, and coerce by hand where they must: the UUID keeps the client's spelling, pages
stay strings, dry_run stays "true" (fails WIL-1.2-011/AC6 only)."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from harness.web.app import create_app as reference
from harness.web.schemas import ListQuery, NoBody, ProcessQuery, ProcessRequest
from harness.web.settings import AppSettings, RouteLimit

from ._routes import replace_route, validated_variant


@validated_variant(ProcessRequest, ProcessQuery, raw=True)
async def process(request: Request, body: dict[str, Any], query: dict[str, Any]) -> Response:
    pages = body.get("options", {}).get("pages", [])
    return JSONResponse({"accepted": {"body": body, "query": query},
                         "documentVersion": uuid.UUID(body["document_id"]).version, "pageCount": len(pages),
                         "lastPage": max((int(p) for p in pages), default=0)}, status_code=202)


@validated_variant(NoBody, ListQuery, raw=True)
async def documents(request: Request, body: dict[str, Any], query: dict[str, Any]) -> Response:
    limit, offset = int(query.get("limit", 20)), int(query.get("offset", 0))
    return JSONResponse({"accepted": {"query": query}, "items": [], "nextOffset": offset + limit})


def plant(app: Starlette) -> Starlette:
    replace_route(app, "/api/v1/process", process, ["POST"])
    return replace_route(app, "/api/v1/documents", documents, ["GET"])


def create_app(settings: AppSettings, *, limits: dict[str, RouteLimit] | None = None) -> Starlette:
    return plant(reference(settings, limits=limits))
