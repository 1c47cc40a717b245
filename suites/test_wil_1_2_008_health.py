"""WIL-1.2-008: GET /api/v1/health — dependency statuses, overall verdict, version, speed, caching.

Outages are real: a disposable Redis is stopped, the database URL points at a port
nobody listens on, the MCP stand-in answers 503 or hangs. On an external app (--app-url)
those faults cannot be caused; its answers are then checked against what the harness
itself observes of the same servers.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import psycopg
import pytest
import redis

from fixtures.clients import redis_settings
from fixtures.web import WebTarget, latency_summary
from harness.infra import Stack
from harness.infra.local import free_port

HEALTH = "/api/v1/health"
SERVICES = ("database", "redis", "mcp")
LIMIT_MS = 500.0


def get_health(client: Any) -> tuple[httpx.Response, dict[str, Any]]:
    response = client.get(HEALTH)
    assert response.headers.get("content-type", "").startswith("application/json"), \
        f"{HEALTH} answered {response.status_code} with Content-Type {response.headers.get('content-type')!r}, not JSON"
    return response, response.json()


def probe(stack: Stack, mcp_url: str | None) -> dict[str, str | None]:
    """What the harness itself sees of the servers (None: cannot tell)."""
    seen: dict[str, str | None] = {}
    try:
        with psycopg.connect(stack.database_pool_url, prepare_threshold=None, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        seen["database"] = "up"
    except psycopg.Error:
        seen["database"] = "down"
    r = stack.redis
    client = redis.Redis(host=r.host, port=r.port, password=r.password, ssl=r.tls, ssl_ca_certs=r.ca_path,
                         ssl_certfile=r.cert_path, ssl_keyfile=r.key_path, socket_timeout=2, socket_connect_timeout=2)
    try:
        seen["redis"] = "up" if client.ping() else "down"
    except redis.RedisError:
        seen["redis"] = "down"
    finally:
        client.close()
    if mcp_url:
        try:
            seen["mcp"] = "up" if httpx.get(f"{mcp_url}/health", timeout=1.0).is_success else "down"
        except httpx.HTTPError:
            seen["mcp"] = "down"
    else:
        seen["mcp"] = None
    return seen


def assert_service_entries(body: dict[str, Any]) -> None:
    services = body.get("services")
    assert isinstance(services, dict), f"no 'services' object in {body}"
    for name in SERVICES:
        entry = services.get(name)
        assert isinstance(entry, dict), f"services.{name} missing from the health answer: {sorted(services)}"
        assert entry.get("status") in ("up", "down"), f"services.{name}.status is {entry.get('status')!r}, not up/down"
        latency = entry.get("latencyMs")
        assert isinstance(latency, (int, float)) and latency >= 0, f"services.{name}.latencyMs is {latency!r}"
        if entry["status"] == "down":
            assert entry.get("message"), f"services.{name} is down without a message"


def assert_no_secrets(text: str, stack: Stack) -> None:
    for secret in stack.secrets():
        assert secret not in text, "the health answer contains a password of the stack"
    assert "postgresql://" not in text and "rediss://" not in text, "the health answer contains a connection URL"


@pytest.mark.criterion("WIL-1.2-008/AC1")
def test_health_at_versioned_path_answers_json(app_client: WebTarget, evidence: Any) -> None:
    """GET /api/v1/health answers a JSON object with an overall status and the services."""
    response, body = get_health(app_client.client)
    evidence.json(f"GET {HEALTH} -> {response.status_code}", body)
    assert response.status_code in (200, 503)
    assert {"status", "services"} <= set(body), f"keys {sorted(body)}"
    unversioned = app_client.client.get("/api/health")
    evidence.text("GET /api/health (unversioned)", str(unversioned.status_code))
    assert unversioned.status_code == 404, "the unversioned path must not serve health (the path is versioned)"


@pytest.mark.criterion("WIL-1.2-008/AC2")
def test_each_dependency_reported_as_the_harness_sees_it(app_client: WebTarget, stack: Stack, evidence: Any) -> None:
    """database, redis and mcp each have status + latencyMs, matching the harness's own probes; no secrets."""
    seen = probe(stack, app_client.mcp_url)
    response, body = get_health(app_client.client)
    evidence.json("health answer", body)
    evidence.json("harness's own probes", seen)
    assert_service_entries(body)
    for name, expected in seen.items():
        if expected is not None:
            assert body["services"][name]["status"] == expected, \
                f"{name}: the app says {body['services'][name]['status']}, the harness sees {expected}"
    assert_no_secrets(response.text, stack)


@pytest.mark.criterion("WIL-1.2-008/AC2", "WIL-1.2-008/AC3")
def test_redis_stopped_is_reported_down_and_degraded(make_app: Any, disposable_redis: Any, evidence: Any) -> None:
    """With the app's Redis stopped: redis down (with a message), database and mcp up, overall degraded (200)."""
    server = disposable_redis()
    target = make_app(redis=server.settings, what="stopping the app's Redis")
    before, body_before = get_health(target.client)
    assert body_before["status"] == "healthy", f"precondition: all up, got {body_before}"
    server.stop()
    response, body = get_health(target.client)
    evidence.json("before (all up)", body_before)
    evidence.json(f"Redis stopped -> {response.status_code}", body)
    assert_service_entries(body)
    services = body["services"]
    assert services["redis"]["status"] == "down"
    assert services["database"]["status"] == "up" and services["mcp"]["status"] == "up"
    assert body["status"] == "degraded" and response.status_code == 200


@pytest.mark.criterion("WIL-1.2-008/AC2", "WIL-1.2-008/AC3")
def test_database_unreachable_is_reported_down(make_app: Any, stack: Stack, evidence: Any) -> None:
    """With the database URL on a port nobody listens on: database down, redis and mcp up, degraded."""
    dead_db = stack.database_pool_url.replace(f":{_port(stack.database_pool_url)}/", f":{free_port()}/")
    target = make_app(database_url=dead_db, what="taking the app's database away")
    response, body = get_health(target.client)
    evidence.json(f"database unreachable -> {response.status_code}", body)
    assert_service_entries(body)
    services = body["services"]
    assert services["database"]["status"] == "down"
    assert services["redis"]["status"] == "up" and services["mcp"]["status"] == "up"
    assert body["status"] == "degraded" and response.status_code == 200
    assert_no_secrets(response.text, stack)


@pytest.mark.criterion("WIL-1.2-008/AC2", "WIL-1.2-008/AC3")
def test_all_down_is_unhealthy_503(make_app: Any, disposable_redis: Any, stack: Stack, evidence: Any) -> None:
    """Database refused, Redis stopped, MCP answering 503: every service down, overall unhealthy, HTTP 503."""
    server = disposable_redis()
    server.stop()
    dead_db = stack.database_pool_url.replace(f":{_port(stack.database_pool_url)}/", f":{free_port()}/")
    target = make_app(redis=server.settings, database_url=dead_db, mcp_mode="down", what="taking every dependency down")
    response, body = get_health(target.client)
    evidence.json(f"all down -> {response.status_code}", body)
    assert_service_entries(body)
    assert all(body["services"][n]["status"] == "down" for n in SERVICES), body["services"]
    assert body["status"] == "unhealthy" and response.status_code == 503
    assert_no_secrets(response.text, stack)


def _port(url: str) -> int:
    port = httpx.URL(url.replace("postgresql://", "http://", 1)).port
    assert port is not None
    return port


@pytest.mark.criterion("WIL-1.2-008/AC3")
def test_overall_status_follows_the_services(app_client: WebTarget, make_app: Any, evidence: Any) -> None:
    """healthy/200 when all up, degraded/200 when some are down, unhealthy/503 when all are down."""
    rows = []
    targets = [("current target", app_client)]
    if not app_client.external:
        targets.append(("MCP answering 503", make_app(mcp_mode="down")))
    for label, target in targets:
        response, body = get_health(target.client)
        states = [body["services"][n]["status"] for n in SERVICES]
        expected = ("healthy", 200) if all(s == "up" for s in states) else \
            ("unhealthy", 503) if all(s == "down" for s in states) else ("degraded", 200)
        rows.append({"target": label, "services": states, "status": body["status"], "http": response.status_code})
        assert (body["status"], response.status_code) == expected, f"{label}: {rows[-1]} expected {expected}"
    evidence.table("overall status per target", rows)
    if not app_client.external:
        assert rows[0]["status"] == "healthy" and rows[1]["status"] == "degraded"


@pytest.mark.criterion("WIL-1.2-008/AC4")
def test_version_is_app_version(app_client: WebTarget, stack: Stack, make_app: Any, evidence: Any) -> None:
    """version equals APP_VERSION (the stack's; and a custom one on a private app)."""
    _, body = get_health(app_client.client)
    evidence.json("version / timestamp", {"version": body.get("version"), "timestamp": body.get("timestamp"),
                                          "APP_VERSION": stack.app_version})
    assert body.get("version") == stack.app_version
    assert isinstance(body.get("timestamp"), str) and "T" in body["timestamp"], "timestamp must be ISO 8601"
    if not app_client.external:
        _, custom = get_health(make_app(app_version="9.9.9-rc1").client)
        assert custom["version"] == "9.9.9-rc1"


def timed_calls(client: Any, n: int) -> list[float]:
    """n health calls; stops at the first one over the limit (no need to wait out a slow app N times)."""
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        client.get(HEALTH)
        samples.append((time.perf_counter() - start) * 1000.0)
        if samples[-1] >= LIMIT_MS:
            break
    return samples


@pytest.mark.criterion("WIL-1.2-008/AC5")
def test_response_time_under_normal_conditions(app_client: WebTarget, evidence: Any) -> None:
    """p99 of 50 calls < 500 ms with the dependencies as they are."""
    if not app_client.external:
        app_client.client.get(HEALTH)  # warm-up of a fresh in-process app: pools and TLS sessions
    summary = latency_summary(timed_calls(app_client.client, 50))
    evidence.json("GET /api/v1/health latency", summary)
    assert summary["n"] == 50 and summary["p99_ms"] < LIMIT_MS, summary


@pytest.mark.criterion("WIL-1.2-008/AC5")
def test_response_time_with_hanging_mcp(app_client: WebTarget, make_app: Any, evidence: Any) -> None:
    """With an MCP /health that never answers, every call still returns < 500 ms with mcp down (each call
    waits out the MCP budget, so a few samples suffice: the plan's sketch takes 5 s on every one)."""
    if app_client.external:
        if app_client.mcp_url is None or probe_hangs(app_client.mcp_url) is False:
            pytest.skip("the external app's MCP is not hanging and the harness cannot make it hang "
                        "(start the app with MCP_SERVER_URL at a hanging stand-in: python -m harness.web.cli "
                        "mcp-standin --mode hang)")
        target = app_client
    else:
        target = make_app(mcp_mode="hang")
    _, body = get_health(target.client)  # also the warm-up of a fresh app (pool connections)
    samples = timed_calls(target.client, 3)
    summary = latency_summary(samples)
    evidence.json("latency with a hanging MCP", summary)
    evidence.json("mcp entry", body["services"]["mcp"])
    assert summary["n"] == 3 and summary["p99_ms"] < LIMIT_MS, summary
    assert body["services"]["mcp"]["status"] == "down"


def probe_hangs(mcp_url: str) -> bool:
    try:
        httpx.get(f"{mcp_url}/health", timeout=1.0)
    except httpx.TimeoutException:
        return True
    except httpx.HTTPError:
        return False
    return False


@pytest.mark.criterion("WIL-1.2-008/AC6")
def test_cache_control_forbids_caching(app_client: WebTarget, make_app: Any, evidence: Any) -> None:
    """Cache-Control: no-cache, no-store, must-revalidate — on healthy and on degraded answers."""
    responses = [("current target", app_client.client.get(HEALTH))]
    if not app_client.external:
        responses.append(("degraded (MCP 503)", make_app(mcp_mode="down").client.get(HEALTH)))
    rows = [{"target": label, "http": r.status_code, "cache-control": r.headers.get("cache-control")}
            for label, r in responses]
    evidence.table("Cache-Control", rows)
    for row in rows:
        tokens = {t.strip().lower() for t in (row["cache-control"] or "").split(",")}
        assert {"no-cache", "no-store", "must-revalidate"} <= tokens, row
