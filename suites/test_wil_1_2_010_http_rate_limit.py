"""WIL-1.2-010 over HTTP: headers (AC4), the 429 answer (AC5), and HTTP views of per-route
limits (AC3) and per-session budgets (AC6). The algorithm itself is judged by the Redis
layer's suite. Every test uses sessions of its own, so budgets never interfere.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from fixtures.web import WebTarget, new_session, valid_upload
from harness.web.settings import RouteLimit

UPLOAD, PROCESS = "/api/v1/upload", "/api/v1/process"
X_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
MAX_REQUESTS = 60  # bound of every "until refused" loop


def send(client: Any, path: str, sid: str, n: int = 0) -> httpx.Response:
    body: dict[str, Any] = valid_upload(n) if path == UPLOAD else {"document_id": "6f1c1a9e-7d7b-4f7e-9a55-2b8f3c0d1e2f"}
    response: httpx.Response = client.post(path, json=body, headers={"X-Session-Id": sid})
    return response


def until_refused(client: Any, path: str, sid: str) -> tuple[list[httpx.Response], httpx.Response | None]:
    allowed: list[httpx.Response] = []
    for n in range(MAX_REQUESTS):
        response = send(client, path, sid, n)
        if response.status_code == 429:
            return allowed, response
        allowed.append(response)
    return allowed, None


def announced_limit(response: httpx.Response) -> int | None:
    value = response.headers.get("x-ratelimit-limit")
    return int(value) if value is not None and value.isdigit() else None


def reset_delta(value: str, now: float) -> float:
    """X-RateLimit-Reset as seconds from now (epoch seconds, as the plan writes, or a delta)."""
    number = float(value)
    return number - now if number > 1_000_000_000 else number


@pytest.mark.criterion("WIL-1.2-010/AC4")
def test_rate_limit_headers_present_and_consistent(app_client: WebTarget, evidence: Any) -> None:
    """X-RateLimit-Limit constant, Remaining counting down by one, Reset within the window; also on the 429."""
    sid = new_session(app_client.client)
    allowed, refused = until_refused(app_client.client, UPLOAD, sid)
    rows = [{"n": i + 1, "http": r.status_code, **{h: r.headers.get(h) for h in
                                                    (*X_HEADERS, "ratelimit", "ratelimit-policy")}}
            for i, r in enumerate([*allowed, *([refused] if refused else [])])]
    evidence.table("rate-limit headers per request", rows)
    now = time.time()
    for row in rows:
        missing = [h for h in X_HEADERS if row[h] is None]
        assert not missing, f"request {row['n']} (HTTP {row['http']}) lacks {missing}"
    limit = int(rows[0]["x-ratelimit-limit"])
    if not app_client.external:
        assert limit == 10, "the plan's default is 10 requests per minute"
    for i, row in enumerate(rows):
        assert int(row["x-ratelimit-limit"]) == limit
        assert int(row["x-ratelimit-remaining"]) == max(0, limit - i - 1), row
        delta = reset_delta(row["x-ratelimit-reset"], now)
        assert -2 <= delta <= 61, f"X-RateLimit-Reset {row['x-ratelimit-reset']} is not within the 60 s window"
        if row["ratelimit"]:
            assert f"r={row['x-ratelimit-remaining']}" in row["ratelimit"], row
        if row["ratelimit-policy"]:
            assert f"q={limit}" in row["ratelimit-policy"], row
    assert refused is not None and len(allowed) == limit


@pytest.mark.criterion("WIL-1.2-010/AC5")
def test_429_with_retry_after_and_structured_body(app_client: WebTarget, evidence: Any) -> None:
    """The request past the limit gets 429, Retry-After (seconds, within the window) and a problem body."""
    sid = new_session(app_client.client)
    allowed, refused = until_refused(app_client.client, UPLOAD, sid)
    assert refused is not None, f"no 429 after {MAX_REQUESTS} requests in one session"
    evidence.json("429 answer", {"after_allowed": len(allowed), "headers": dict(refused.headers),
                                 "body": refused.json()})
    limit = announced_limit(allowed[0]) if allowed else None
    assert len(allowed) == (limit if limit is not None else 10), "the 429 did not come right after the limit"
    retry_after = refused.headers.get("retry-after")
    assert retry_after is not None and retry_after.isdigit(), f"Retry-After is {retry_after!r}"
    assert 1 <= int(retry_after) <= 60
    assert refused.headers.get("content-type", "").startswith(("application/problem+json", "application/json"))
    body = refused.json()
    assert {"code", "message", "details"} <= set(body) and body["code"] == "E429", body
    assert all(r.status_code != 429 for r in allowed)


@pytest.mark.criterion("WIL-1.2-010/AC3")
def test_per_route_limit_enforced_over_http(app_client: WebTarget, make_app: Any, evidence: Any) -> None:
    """A route with its own limit (process: 3/min here) is refused at that limit while upload keeps 10."""
    if app_client.external:
        target = app_client
    else:
        target = make_app(limits={PROCESS: RouteLimit(3, 60)})
    sid = new_session(target.client)
    results = {}
    for path in (PROCESS, UPLOAD):
        allowed, refused = until_refused(target.client, path, sid)
        results[path] = {"allowed": len(allowed), "announced": announced_limit(allowed[0]) if allowed else None,
                         "refused": refused is not None}
    evidence.json("per-route budgets of one session", results)
    if app_client.external and results[PROCESS]["announced"] == results[UPLOAD]["announced"]:
        pytest.skip("the external app announces the same limit on every route: a per-route override is not "
                    "observable here")
    for path, got in results.items():
        assert got["refused"] and got["allowed"] == got["announced"], f"{path}: {got}"
    if not app_client.external:
        assert results[PROCESS]["allowed"] == 3 and results[UPLOAD]["allowed"] == 10


@pytest.mark.criterion("WIL-1.2-010/AC6")
def test_sessions_from_one_client_have_separate_budgets(app_client: WebTarget, evidence: Any) -> None:
    """Session A exhausted (429) does not touch session B from the same client address."""
    c = app_client.client
    a, b = new_session(c), new_session(c)
    allowed_a, refused_a = until_refused(c, UPLOAD, a)
    first_b = send(c, UPLOAD, b)
    evidence.json("budgets", {"A allowed": len(allowed_a), "A refused": refused_a is not None,
                              "B first": first_b.status_code,
                              "B remaining": first_b.headers.get("x-ratelimit-remaining")})
    assert refused_a is not None, "session A was never refused"
    assert first_b.status_code != 429, "session B was refused because of session A (IP-based limiting?)"
    if first_b.headers.get("x-ratelimit-remaining") is not None:
        assert int(first_b.headers["x-ratelimit-remaining"]) == len(allowed_a) - 1
