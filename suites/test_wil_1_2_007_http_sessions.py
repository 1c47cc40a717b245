"""WIL-1.2-007 over HTTP: the session middleware (AC5) and the X-Session-Id header (AC6).

Observable from outside, so these run unchanged against an external app (--app-url).
The store itself (UUIDs, TTL, breaker, fallback) is judged by the Redis layer's suite.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from fixtures.web import WebTarget, new_session, valid_upload

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
DOCUMENTS, UPLOAD = "/api/v1/documents", "/api/v1/upload"


def returned_id(response: Any) -> str | None:
    value = response.headers.get("x-session-id")
    return str(value) if value is not None else None


@pytest.mark.criterion("WIL-1.2-007/AC5")
def test_middleware_adopts_issued_ids_only(app_client: WebTarget, evidence: Any) -> None:
    """An issued id is adopted; absent, malformed, forged or hostile ids are replaced by a new UUID4."""
    c = app_client.client
    issued = new_session(c)
    assert UUID4.match(issued), f"issued id {issued!r} is not a canonical UUID4"
    adopted = returned_id(c.get(DOCUMENTS, headers={"X-Session-Id": issued}))
    offered = {
        "absent": None,
        "malformed": "not-a-session",
        "forged (well-formed, never issued)": str(uuid.uuid4()),
        "issued id in upper case": issued.upper(),
        "UUID1": str(uuid.uuid1()),
        "hostile markup": "<script>alert(1)</script>",
        "very long": "a" * 4000,
        "path traversal": "../../etc/passwd",
    }
    rows: list[dict[str, Any]] = [{"offered": "issued", "returned": adopted, "adopted": adopted == issued}]
    replaced: list[str] = []
    for label, value in offered.items():
        headers = {"X-Session-Id": value} if value is not None else {}
        response = c.get(DOCUMENTS, headers=headers)
        got = returned_id(response)
        rows.append({"offered": label, "returned": got, "adopted": got == value, "http": response.status_code})
        assert got is not None and UUID4.match(got), f"{label}: returned {got!r}, not a new canonical UUID4"
        assert got != value and (value is None or value.lower() not in got), f"{label}: the offered value came back"
        assert got != issued, f"{label}: got another client's (the issued) session"
        replaced.append(got)
    evidence.table("X-Session-Id offered -> returned", rows)
    assert adopted == issued, "a session the app issued was not adopted"
    assert len(set(replaced)) == len(replaced), "replacement ids repeat"
    reuse = returned_id(c.get(DOCUMENTS, headers={"X-Session-Id": replaced[2]}))
    assert reuse == replaced[2], "a replacement id was not stored: the next request did not adopt it"


@pytest.mark.criterion("WIL-1.2-007/AC6")
def test_session_id_on_every_response(app_client: WebTarget, evidence: Any) -> None:
    """X-Session-Id on successes, validation errors, 404s and 429s, with and without a session offered."""
    c = app_client.client
    sid = new_session(c)
    with_sid = {"X-Session-Id": sid}
    responses = {
        "GET documents, new session": c.get(DOCUMENTS),
        "GET documents, own session": c.get(DOCUMENTS, headers=with_sid),
        "POST upload 201": c.post(UPLOAD, json=valid_upload(), headers=with_sid),
        "POST upload 400 (invalid body)": c.post(UPLOAD, json={}, headers=with_sid),
        "GET documents 400 (invalid query)": c.get(DOCUMENTS, params={"limit": "x"}, headers=with_sid),
        "GET unknown route 404": c.get("/api/v1/no-such-route", headers=with_sid),
    }
    limited = None
    for n in range(60):  # until the limiter refuses (bounded)
        response = c.post(UPLOAD, json=valid_upload(n), headers=with_sid)
        if response.status_code == 429:
            limited = response
            break
    if limited is not None:
        responses["POST upload 429"] = limited
    rows = [{"response": label, "http": r.status_code, "X-Session-Id": returned_id(r)} for label, r in responses.items()]
    evidence.table("X-Session-Id per response", rows)
    for row in rows:
        assert row["X-Session-Id"], f"{row['response']} (HTTP {row['http']}) has no X-Session-Id"
        if row["response"] != "GET documents, new session":
            assert row["X-Session-Id"] == sid, f"{row['response']}: the session in effect changed"
    assert limited is not None, "no 429 within 60 uploads: could not check the header on a refused request"
