"""Defect: the documents query schema takes ``status`` as free text and ``offset`` as any integer,
so ``status=bogus`` and ``offset=-1`` pass (fails WIL-1.2-011/AC2 only)."""

from __future__ import annotations

from starlette.applications import Starlette

from harness.web.app import create_app as reference
from harness.web.schemas import ListQuery, NoBody
from harness.web.settings import AppSettings, RouteLimit
from harness.web.validation import validated

from ._routes import handler, replace_route


class LaxListQuery(ListQuery):
    offset: int = 0  # the defect: no lower bound
    status: str | None = None  # type: ignore[assignment]  # the defect: no list of states


def plant(app: Starlette) -> Starlette:
    documents = validated(body=NoBody, query=LaxListQuery)(handler("documents"))
    return replace_route(app, "/api/v1/documents", documents, ["GET"])


def create_app(settings: AppSettings, *, limits: dict[str, RouteLimit] | None = None) -> Starlette:
    return plant(reference(settings, limits=limits))
