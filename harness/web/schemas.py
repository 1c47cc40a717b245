"""Request models of the reference API (pydantic v2 stands in for the plan's Zod)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Filename = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^/\\\x00]+$")]
MimeType = Literal["application/pdf", "image/png", "image/jpeg", "text/plain",
                   "application/vnd.openxmlformats-officedocument.wordprocessingml.document"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)


class NoBody(_Strict):
    """Marker: the route takes no body (the body is never read)."""


class NoQuery(_Strict):
    """Marker: the route takes no query parameters (extra ones are ignored)."""


class UploadRequest(_Strict):
    filename: Filename
    content_type: MimeType
    size_bytes: int = Field(gt=0, le=50 * 1024 * 1024)
    checksum_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = None
    tags: list[Annotated[str, StringConstraints(min_length=1, max_length=32)]] = Field(default_factory=list,
                                                                                       max_length=20)


class ProcessOptions(_Strict):
    ocr: bool = False
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")] = "en"
    pages: list[Annotated[int, Field(ge=1, le=10_000)]] = Field(default_factory=list, max_length=1000)


class ProcessRequest(_Strict):
    document_id: uuid.UUID
    options: ProcessOptions = ProcessOptions()


class ProcessQuery(_Strict):
    priority: Literal["low", "normal", "high"] = "normal"
    dry_run: bool = False


class ListQuery(_Strict):
    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=1_000_000)
    status: Literal["pending", "processing", "done", "failed"] | None = None
