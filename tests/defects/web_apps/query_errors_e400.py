"""Defect: one error code for every validation failure (E400), query parameters included
(fails WIL-1.2-011/AC4, and AC2 whose query errors must carry E401 too)."""

from __future__ import annotations

from starlette.applications import Starlette

from harness.web.app import create_app as reference
from harness.web.schemas import ListQuery, NoBody, ProcessQuery, ProcessRequest
from harness.web.settings import AppSettings, RouteLimit

from ._routes import handler, replace_route, validated_variant


def plant(app: Starlette) -> Starlette:
    one_code = "E400"  # the defect: query errors too
    process = validated_variant(ProcessRequest, ProcessQuery, query_code=one_code)(handler("process"))
    documents = validated_variant(NoBody, ListQuery, query_code=one_code)(handler("documents"))
    replace_route(app, "/api/v1/process", process, ["POST"])
    return replace_route(app, "/api/v1/documents", documents, ["GET"])


def create_app(settings: AppSettings, *, limits: dict[str, RouteLimit] | None = None) -> Starlette:
    return plant(reference(settings, limits=limits))
