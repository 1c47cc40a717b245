"""One error shape for every error the app returns: RFC 9457 problem details plus the
plan's ``code`` / ``message`` / ``details`` members.

    {"type": "about:blank", "title": "Bad Request", "status": 400,
     "detail": "Request body is invalid", "code": "E400", "message": "Request body is invalid",
     "details": [{"field": "options.language", "message": "String should match pattern ..."}]}

served as ``application/problem+json``. ``detail`` and ``message`` carry the same text
(RFC 9457 clients read the first, the plan's clients the second). No input value is
ever copied into a problem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from starlette.responses import JSONResponse

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """Raised by request handling code; rendered by ``problem_response``."""

    def __init__(self, status: int, code: str, message: str, details: Sequence[Mapping[str, str]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = [dict(d) for d in details]


def problem_body(status: int, code: str, message: str, details: Sequence[Mapping[str, str]] = (),
                 *, type_: str = "about:blank", extensions: Mapping[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": type_, "title": HTTPStatus(status).phrase, "status": status, "detail": message,
                            "code": code, "message": message, "details": [dict(d) for d in details]}
    body.update(extensions or {})
    return body


def problem_response(status: int, code: str, message: str, details: Sequence[Mapping[str, str]] = (),
                     *, headers: Mapping[str, str] | None = None, type_: str = "about:blank",
                     extensions: Mapping[str, Any] | None = None) -> JSONResponse:
    return JSONResponse(problem_body(status, code, message, details, type_=type_, extensions=extensions),
                        status_code=status,
                        headers=dict(headers or {}), media_type=PROBLEM_JSON)


def from_exception(exc: Problem) -> JSONResponse:
    return problem_response(exc.status, exc.code, exc.message, exc.details)
