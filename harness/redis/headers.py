"""Rate-limit response fields and the 429 body, from a limiter Decision.

* ``X-RateLimit-Limit/-Remaining/-Reset`` (the plan's names; Reset is epoch seconds,
  rounded up, i.e. when the oldest counted request leaves the window);
* the IETF fields of draft-ietf-httpapi-ratelimit-headers:
  ``RateLimit-Policy: "default";q=10;w=60`` and ``RateLimit: "default";r=N;t=S``
  (``t`` is delay-seconds, independent of clock synchronisation);
* ``Retry-After`` (delay-seconds, never earlier than ``t``) on denial only;
* the 429 body in the RFC 9457 problem+json shape, with the draft's
  ``quota-exceeded`` problem type and a ``code`` for clients that switch on codes.
"""

from __future__ import annotations

import math
import time
from typing import Any

from .protocols import Decision

PROBLEM_CONTENT_TYPE = "application/problem+json"
QUOTA_EXCEEDED_TYPE = "https://iana.org/assignments/http-problem-types#quota-exceeded"
RATE_LIMITED_CODE = "E429"

#: JSON Schema of ``problem_429`` bodies (for the HTTP layer's tests and clients).
PROBLEM_429_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code", "retryAfter", "violated-policies"],
    "properties": {
        "type": {"const": QUOTA_EXCEEDED_TYPE},
        "title": {"const": "Too Many Requests"},
        "status": {"const": 429},
        "detail": {"type": "string", "minLength": 1},
        "code": {"const": RATE_LIMITED_CODE},
        "instance": {"type": "string"},
        "retryAfter": {"type": "integer", "minimum": 1},
        "limit": {"type": "integer", "minimum": 1},
        "windowSeconds": {"type": "number", "exclusiveMinimum": 0},
        "violated-policies": {"type": "array", "items": {"type": "string"}, "minItems": 1},
    },
}


def _sf_string(value: str) -> str:
    """An RFC 8941 sf-string (policy names come from configuration)."""
    printable = "".join(ch for ch in value if 0x20 <= ord(ch) < 0x7F)
    return '"' + printable.replace("\\", "\\\\").replace('"', '\\"') + '"'


def seconds_until_reset(decision: Decision, now: float | None = None) -> int:
    now = time.time() if now is None else now
    return max(0, math.ceil(decision.reset_at - now))


def retry_after_seconds(decision: Decision, now: float | None = None) -> int:
    """Whole seconds a denied client should wait: >= 1 and never earlier than ``t``."""
    return max(1, math.ceil(decision.retry_after_s), seconds_until_reset(decision, now))


def rate_limit_headers(decision: Decision, *, now: float | None = None) -> dict[str, str]:
    """The response fields for one decision (``Retry-After`` only when denied)."""
    now = time.time() if now is None else now
    name = _sf_string(decision.policy)
    headers = {
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(max(0, decision.remaining)),
        "X-RateLimit-Reset": str(math.ceil(decision.reset_at)),
        "RateLimit-Policy": f"{name};q={decision.limit};w={max(1, math.ceil(decision.window_s))}",
        "RateLimit": f"{name};r={max(0, decision.remaining)};t={seconds_until_reset(decision, now)}",
    }
    if not decision.allowed:
        headers["Retry-After"] = str(retry_after_seconds(decision, now))
    return headers


def problem_429(decision: Decision, *, route: str | None = None, now: float | None = None) -> dict[str, Any]:
    """The 429 body (serve it as ``application/problem+json`` with the headers above)."""
    wait = retry_after_seconds(decision, now)
    where = f" on {route}" if route else ""
    body: dict[str, Any] = {
        "type": QUOTA_EXCEEDED_TYPE,
        "title": "Too Many Requests",
        "status": 429,
        "detail": f"This session made more than {decision.limit} requests in {decision.window_s:g} s{where}; "
                  f"retry after {wait} s.",
        "code": RATE_LIMITED_CODE,
        "retryAfter": wait,
        "limit": decision.limit,
        "windowSeconds": decision.window_s,
        "violated-policies": [decision.policy],
    }
    if route:
        body["instance"] = route
    return body
