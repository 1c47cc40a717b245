"""Defect: the upload schema types its fields but drops their constraints (any content type,
any integer size), so an unknown content type and a negative size are accepted
(fails WIL-1.2-011/AC1 only)."""

from __future__ import annotations

from starlette.applications import Starlette

from harness.web.app import create_app as reference
from harness.web.schemas import NoQuery, UploadRequest
from harness.web.settings import AppSettings, RouteLimit
from harness.web.validation import validated

from ._routes import handler, replace_route


class LaxUpload(UploadRequest):
    content_type: str  # type: ignore[assignment]  # the defect: no list of allowed types
    size_bytes: int  # the defect: no bounds


def plant(app: Starlette) -> Starlette:
    upload = validated(body=LaxUpload, query=NoQuery)(handler("upload"))
    return replace_route(app, "/api/v1/upload", upload, ["POST"])


def create_app(settings: AppSettings, *, limits: dict[str, RouteLimit] | None = None) -> Starlette:
    return plant(reference(settings, limits=limits))
