"""Pure logic of the web layer (no servers): settings, metrics, headers, errors, the in-process client."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness.redis.protocols import Decision
from harness.web.health import describe_failure
from harness.web.inprocess import InProcessClient
from harness.web.middleware import problem_429, rate_limit_headers
from harness.web.redis_metrics import classify_latency, memory_metrics
from harness.web.schemas import ListQuery, NoBody
from harness.web.settings import AppSettings, RouteLimit, SettingsError, parse_routes
from harness.web.validation import _field, validated


def test_settings_from_env_reads_the_plan_variables() -> None:
    s = AppSettings.from_env({"DATABASE_URL": "postgresql://u@h:5432/d", "REDIS_HOST": "r", "REDIS_PORT": "6380",
                              "MCP_SERVER_URL": "http://mcp:9000/", "APP_VERSION": "2.1.0",
                              "RATE_LIMIT_ROUTES": "/api/v1/process=5/30"})
    assert s.database_url == "postgresql://u@h:5432/d" and s.redis.port == 6380
    assert s.mcp_server_url == "http://mcp:9000" and s.app_version == "2.1.0"
    assert s.default_limit == RouteLimit(10, 60.0), "the plan's default is 10 per minute"
    assert s.limit_for("/api/v1/process") == RouteLimit(5, 30.0) and s.check_timeout_s == 0.3
    assert AppSettings.from_env({"DATABASE_POOL_URL": "a", "DATABASE_URL": "b"}).database_url == "a"


@pytest.mark.parametrize("text", ["/x=0/60", "/x=ten/60", "x=1/60", "/x", "/x=1/0"])
def test_bad_route_limits_name_the_variable(text: str) -> None:
    with pytest.raises(SettingsError, match="RATE_LIMIT_ROUTES"):
        parse_routes(text)


def test_memory_metrics_without_limit_is_none_not_zero() -> None:
    m = memory_metrics({"used_memory": 1000, "maxmemory": 0, "evicted_keys": 3})
    assert m["memoryPercent"] is None and m["memoryLimit"] == "none" and m["memoryWarning"] is False
    assert m["evictedKeys"] == 3


def test_memory_warning_strictly_above_80() -> None:
    assert memory_metrics({"used_memory": 80, "maxmemory": 100})["memoryWarning"] is False
    assert memory_metrics({"used_memory": 81, "maxmemory": 100})["memoryWarning"] is True
    assert memory_metrics({"used_memory": 1, "maxmemory": 3})["memoryPercent"] == 33.33


def test_latency_thresholds() -> None:
    assert [classify_latency(x) for x in (9.9, 10, 99.9, 100, None)] == ["good", "slow", "slow", "timeout", "timeout"]


def test_rate_limit_headers_and_429_body() -> None:
    now = time.time()
    ok = Decision(True, 10, 7, now + 42.2, 0.0)
    h = rate_limit_headers(ok, now=now)
    assert h["X-RateLimit-Limit"] == "10" and h["X-RateLimit-Remaining"] == "7"
    assert int(h["X-RateLimit-Reset"]) - now == pytest.approx(43, abs=1)
    assert h["RateLimit"] == '"default";r=7;t=43' and h["RateLimit-Policy"] == '"default";q=10;w=60'
    assert "Retry-After" not in h
    denied = Decision(False, 10, 0, now + 5.5, 5.5)
    assert rate_limit_headers(denied, now=now)["Retry-After"] == "6"
    body = problem_429(denied, "/api/v1/upload")
    assert body["status"] == 429 and body["code"] == "E429" and body["details"] == [] and body["message"]


def test_failure_messages_carry_no_secrets() -> None:
    exc = redis.ConnectionError("Error connecting to rediss://:hunter2@10.0.0.1:6380")
    assert describe_failure(exc, 0.3) == "connection failed (ConnectionError)"
    assert describe_failure(TimeoutError(), 0.3) == "no answer within 300 ms"


def test_field_paths_keep_identifiers_only() -> None:
    assert _field(("options", "pages", 0)) == "options.pages.0"
    assert _field(("tags", "<script>", "x")) == "tags.*.x" and _field(()) == "(root)"


def test_validated_hands_typed_models_to_the_handler() -> None:
    seen: list[object] = []

    @validated(body=NoBody, query=ListQuery)
    async def handler(request: Request, body: NoBody, query: ListQuery) -> Response:
        seen.append(query)
        return JSONResponse({"limit": query.limit})

    app = Starlette(routes=[Route("/q", handler)])
    with InProcessClient(app) as client:
        assert client.get("/q", params={"limit": "7"}).json() == {"limit": 7}
        bad = client.get("/q", params={"limit": "0"})
    assert isinstance(seen[0], ListQuery) and seen[0].limit == 7
    assert bad.status_code == 400 and bad.json()["code"] == "E401" and bad.json()["details"][0]["field"] == "limit"


def test_inprocess_client_runs_the_lifespan() -> None:
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        events.append("start")
        yield
        events.append("stop")

    async def ping(request: Request) -> Response:
        return JSONResponse({"events": events})

    client = InProcessClient(Starlette(routes=[Route("/", ping)], lifespan=lifespan))
    response: httpx.Response = client.get("/")
    client.close()
    assert response.json() == {"events": ["start"]} and events == ["start", "stop"]
