"""WIL-1.2-011: one validation layer for every API route, one error shape, never a 500.

Requests carry no X-Session-Id, so each gets a fresh session and a fresh rate-limit
budget: validation is judged, not the limiter.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixtures.web import WebTarget, valid_upload

UPLOAD, PROCESS, DOCUMENTS = "/api/v1/upload", "/api/v1/process", "/api/v1/documents"
SHAPE = {"code", "message", "details"}
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_problem(response: httpx.Response, code: str) -> dict[str, Any]:
    """A structured 400: status, content type, code and details with field + message."""
    assert response.status_code == 400, f"expected 400 {code}, got {response.status_code}: {response.text[:300]}"
    ctype = response.headers.get("content-type", "")
    assert ctype.startswith(("application/problem+json", "application/json")), f"Content-Type {ctype!r}"
    body: dict[str, Any] = response.json()
    assert SHAPE <= set(body), f"error body lacks {SHAPE - set(body)}: {body}"
    assert body["code"] == code, f"code {body['code']!r}, expected {code}"
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], list) and body["details"], "details must list what was wrong"
    for detail in body["details"]:
        assert {"field", "message"} <= set(detail), detail
    return body


def fields(body: dict[str, Any]) -> set[str]:
    return {d["field"] for d in body["details"]}


def valid_process() -> dict[str, Any]:
    return {"document_id": str(uuid.uuid4()), "options": {"ocr": True, "language": "de", "pages": [1, 2]}}


@pytest.mark.criterion("WIL-1.2-011/AC1")
def test_invalid_bodies_rejected_with_field_details(app_client: WebTarget, evidence: Any) -> None:
    """Each invalid body gets 400 naming the offending field; the valid one passes."""
    c = app_client.client
    ok = c.post(UPLOAD, json=valid_upload())
    assert ok.status_code == 201, f"a valid upload was refused: {ok.status_code} {ok.text[:200]}"
    cases = {
        "missing filename": ({"content_type": "application/pdf", "size_bytes": 1}, "filename"),
        "size not a number": ({**valid_upload(), "size_bytes": "lots"}, "size_bytes"),
        "path in filename": ({**valid_upload(), "filename": "../etc/passwd"}, "filename"),
        "unknown content type": ({**valid_upload(), "content_type": "application/x-evil"}, "content_type"),
        "negative size": ({**valid_upload(), "size_bytes": -1}, "size_bytes"),
    }
    rows = []
    for label, (payload, field) in cases.items():
        body = assert_problem(c.post(UPLOAD, json=payload), "E400")
        rows.append({"case": label, "fields": sorted(fields(body))})
        assert field in fields(body), f"{label}: details {body['details']} do not name {field!r}"
    nested = assert_problem(c.post(PROCESS, json={"document_id": str(uuid.uuid4()),
                                                  "options": {"language": "EN", "pages": [0]}}), "E400")
    rows.append({"case": "nested fields", "fields": sorted(fields(nested))})
    assert {"options.language", "options.pages.0"} <= fields(nested), nested["details"]
    evidence.table("invalid bodies", rows)


@pytest.mark.criterion("WIL-1.2-011/AC2")
def test_invalid_query_parameters_rejected_with_field_details(app_client: WebTarget, evidence: Any) -> None:
    """limit/offset/status/priority out of range get 400 naming the parameter; valid ones pass."""
    c = app_client.client
    assert c.get(DOCUMENTS, params={"limit": "5", "status": "done"}).status_code == 200
    cases = [(DOCUMENTS, {"limit": "0"}, "limit"), (DOCUMENTS, {"limit": "many"}, "limit"),
             (DOCUMENTS, {"offset": "-1"}, "offset"), (DOCUMENTS, {"status": "bogus"}, "status")]
    rows = []
    for path, params, field in cases:
        body = assert_problem(c.get(path, params=params), "E401")
        rows.append({"request": f"GET {path}?{params}", "fields": sorted(fields(body))})
        assert field in fields(body), body["details"]
    body = assert_problem(c.post(PROCESS, params={"priority": "urgent"}, json=valid_process()), "E401")
    rows.append({"request": "POST process?priority=urgent", "fields": sorted(fields(body))})
    assert "priority" in fields(body)
    evidence.table("invalid query parameters", rows)


def _chunks(head: bytes, chunk: bytes, count: int) -> Iterator[bytes]:
    """A body sent in chunks (Transfer-Encoding: chunked), so only the stream tells its size."""
    yield head
    for _ in range(count):
        yield chunk


@pytest.mark.criterion("WIL-1.2-011/AC3")
def test_malformed_requests_get_the_same_structured_400(app_client: WebTarget, evidence: Any) -> None:
    """Malformed JSON, wrong/missing content type, oversized body, invalid UTF-8: same 400 shape, never 500."""
    c = app_client.client
    json_ct = {"content-type": "application/json"}
    cases: dict[str, dict[str, Any]] = {
        "malformed JSON": dict(content=b'{"filename": "a.pdf",', headers=json_ct),
        "empty body": dict(content=b"", headers=json_ct),
        "invalid UTF-8": dict(content=b'{"filename": "\xff\xfe"}', headers=json_ct),
        "text/plain": dict(content=json.dumps(valid_upload()).encode(), headers={"content-type": "text/plain"}),
        "no content type": dict(content=json.dumps(valid_upload()).encode()),
        "form encoded": dict(content=b"filename=a.pdf", headers={"content-type": "application/x-www-form-urlencoded"}),
        "oversized (1 MiB + 1)": dict(content=b'{"filename": "' + b"a" * (1024 * 1024) + b'"}', headers=json_ct),
        "oversized, chunked (no Content-Length)": dict(content=_chunks(b'{"filename": "', b"a" * 65536, 20),
                                                       headers=json_ct),
        "JSON array root": dict(content=b"[1, 2, 3]", headers=json_ct),
        "deep nesting": dict(content=b"[" * 100_000 + b"]" * 100_000, headers=json_ct),
    }
    rows = []
    for label, kwargs in cases.items():
        response = c.post(UPLOAD, **kwargs)
        rows.append({"case": label, "status": response.status_code,
                     "content-type": response.headers.get("content-type"), "body": response.text[:160]})
    evidence.table("malformed requests", rows)
    for label, row in zip(cases, rows, strict=True):
        assert row["status"] == 400, f"{label}: HTTP {row['status']} {row['body']}"
    for label, kwargs in cases.items():
        if "chunked" in label:
            kwargs = {**kwargs, "content": _chunks(b'{"filename": "', b"a" * 65536, 20)}  # a fresh iterator
        assert_problem(c.post(UPLOAD, **kwargs), "E400")


@pytest.mark.criterion("WIL-1.2-011/AC3")
def test_error_bodies_never_echo_input(app_client: WebTarget, evidence: Any) -> None:
    """A secret-looking value in a wrong field never comes back in the error body."""
    token = f"SECRET-{uuid.uuid4().hex}"
    payloads = [{**valid_upload(), "size_bytes": token}, {**valid_upload(), "filename": token + "/x"},
                {"document_id": token, "options": {"language": token}}]
    paths = (UPLOAD, UPLOAD, PROCESS)
    texts = [app_client.client.post(path, json=p).text for path, p in zip(paths, payloads, strict=True)]
    texts.append(app_client.client.get(DOCUMENTS, params={"limit": token}).text)
    evidence.text("error bodies (token replaced)", "\n".join(t.replace(token, "<TOKEN>") for t in texts))
    for text in texts:
        assert token not in text and token[7:] not in text, "the error body echoes the submitted value"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=20)
upload_like = st.fixed_dictionaries({}, optional={
    "filename": st.text(max_size=300) | st.integers(), "content_type": st.sampled_from(["application/pdf", "x/y", ""]),
    "size_bytes": st.integers() | st.text(max_size=20) | st.floats(allow_nan=False), "tags": json_values})


@pytest.mark.criterion("WIL-1.2-011/AC3")
@FUZZ
@given(path=st.sampled_from([UPLOAD, PROCESS]), payload=json_values | upload_like)
def test_fuzz_arbitrary_json_never_5xx(app_client: WebTarget, path: str, payload: Any) -> None:
    """Arbitrary JSON documents: a structured 4xx (or success when valid by chance), never a 5xx."""
    response = app_client.client.post(path, content=json.dumps(payload).encode(),
                                      headers={"content-type": "application/json"})
    assert response.status_code < 500, f"HTTP {response.status_code} for {payload!r}"
    if response.status_code == 400:
        assert_problem(response, "E400")


@pytest.mark.criterion("WIL-1.2-011/AC3")
@FUZZ
@given(body=st.binary(max_size=2048) | st.text(max_size=200).map(lambda t: ("a" * 5000 + t).encode()),
       ctype=st.sampled_from(["application/json", "application/json; charset=latin-1", "text/plain",
                              "application/problem+json", "multipart/form-data; boundary=x", "", "*/*",
                              "application/json\t;;;"]))
def test_fuzz_arbitrary_bytes_and_content_types_never_5xx(app_client: WebTarget, body: bytes, ctype: str) -> None:
    """Arbitrary bytes under odd content types: always the structured 400, never a 5xx."""
    headers = {"content-type": ctype} if ctype else {}
    response = app_client.client.post(UPLOAD, content=body, headers=headers)
    assert response.status_code < 500, f"HTTP {response.status_code} for {body[:60]!r} as {ctype!r}"
    assert_problem(response, "E400")


@pytest.mark.criterion("WIL-1.2-011/AC4")
def test_error_codes_e400_for_body_e401_for_query(app_client: WebTarget, evidence: Any) -> None:
    """Body problems carry E400, query problems E401, both on HTTP 400."""
    c = app_client.client
    body_error = assert_problem(c.post(UPLOAD, json={}), "E400")
    query_error = assert_problem(c.get(DOCUMENTS, params={"limit": "1000"}), "E401")
    process_query = assert_problem(c.post(PROCESS, params={"dry_run": "perhaps"}, json=valid_process()), "E401")
    evidence.json("codes", {"body": body_error["code"], "query": query_error["code"],
                            "process query": process_query["code"]})


@pytest.mark.criterion("WIL-1.2-011/AC5")
def test_every_route_answers_with_the_same_shape(app_client: WebTarget, evidence: Any) -> None:
    """Invalid requests to every validated route answer with the same keys and media type."""
    c = app_client.client
    responses = {"POST upload": c.post(UPLOAD, json={"filename": 1}),
                 "POST process": c.post(PROCESS, json={"document_id": "x"}),
                 "POST process (query)": c.post(PROCESS, params={"priority": "x"}, json=valid_process()),
                 "GET documents": c.get(DOCUMENTS, params={"offset": "x"})}
    shapes = {label: (sorted(r.json()), r.headers.get("content-type"), r.status_code) for label, r in responses.items()}
    evidence.json("shape per route", shapes)
    assert len({(tuple(keys), ctype, status) for keys, ctype, status in shapes.values()}) == 1, shapes
    app_routes = getattr(app_client.app, "routes", None)  # None: an app wrapped in ASGI middleware
    if not app_client.external and app_routes is not None:
        from starlette.routing import Route  # noqa: PLC0415 - reference-only introspection

        routes = [r for r in app_routes if isinstance(r, Route) and r.path != "/api/v1/health"]
        marks = {r.path: hasattr(r.endpoint, "__validated__") for r in routes}
        evidence.json("routes wrapped by @validated", marks)
        assert marks and all(marks.values()), marks


@pytest.mark.criterion("WIL-1.2-011/AC6")
def test_handlers_receive_typed_coerced_data(app_client: WebTarget, evidence: Any) -> None:
    """Strings are coerced to UUID/int/bool before the handler, which computes with them."""
    c = app_client.client
    doc = uuid.uuid4()
    response = c.post(PROCESS, params={"priority": "high", "dry_run": "true"},
                      json={"document_id": str(doc).upper(), "options": {"pages": ["3", 7]}})
    assert response.status_code == 202, response.text
    body = response.json()
    listing = c.get(DOCUMENTS, params={"limit": "07", "offset": "10"}).json()
    evidence.json("process answer", body)
    evidence.json("documents answer", listing)
    accepted = body["accepted"]
    assert accepted["body"]["document_id"] == str(doc), "the UUID was not normalised (untyped string?)"
    assert accepted["body"]["options"]["pages"] == [3, 7] and accepted["query"]["dry_run"] is True
    assert body["documentVersion"] == 4 and body["lastPage"] == 7 and body["pageCount"] == 2
    assert listing["accepted"]["query"]["limit"] == 7 and listing["nextOffset"] == 17
