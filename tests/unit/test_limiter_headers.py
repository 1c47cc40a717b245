"""Rate-limit fields and the 429 body, from synthetic decisions (pure logic, fixed clock)."""

from __future__ import annotations

import jsonschema
import pytest

from harness.redis.headers import PROBLEM_429_SCHEMA, problem_429, rate_limit_headers, retry_after_seconds
from harness.redis.protocols import Decision, Limit

NOW = 1_700_000_000.0


def decision(allowed: bool, remaining: int, reset_in: float, retry: float = 0.0, policy: str = "default") -> Decision:
    return Decision(allowed, 10, remaining, NOW + reset_in, retry, 60.0, policy)


def test_allowed_fields() -> None:
    h = rate_limit_headers(decision(True, 7, 41.2), now=NOW)
    assert h == {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "7", "X-RateLimit-Reset": str(int(NOW) + 42),
                 "RateLimit-Policy": '"default";q=10;w=60', "RateLimit": '"default";r=7;t=42'}


def test_denied_fields_have_retry_after_not_before_t() -> None:
    h = rate_limit_headers(decision(False, 0, 12.5, retry=3.0), now=NOW)
    assert h["Retry-After"] == "13" and h["RateLimit"] == '"default";r=0;t=13'


def test_retry_after_is_at_least_one_second() -> None:
    assert retry_after_seconds(decision(False, 0, 0.01, retry=0.01), now=NOW) == 1


def test_reset_in_the_past_gives_t_zero() -> None:
    assert rate_limit_headers(decision(True, 9, -3), now=NOW)["RateLimit"].endswith(";t=0")


@pytest.mark.parametrize("name", ['pro"cess', "a\\b", "tab\there"])
def test_policy_names_are_valid_sf_strings(name: str) -> None:
    value = rate_limit_headers(decision(True, 1, 1, policy=name), now=NOW)["RateLimit-Policy"]
    inner = value.split(";q=")[0]
    assert inner.startswith('"') and inner.endswith('"') and "\t" not in inner
    assert inner[1:-1].replace('\\"', "").replace("\\\\", "").count('"') == 0


def test_problem_body_validates_and_matches_header() -> None:
    d = decision(False, 0, 30, retry=29.2)
    body = problem_429(d, route="/api/v1/process", now=NOW)
    jsonschema.validate(body, PROBLEM_429_SCHEMA)
    assert body["retryAfter"] == int(rate_limit_headers(d, now=NOW)["Retry-After"]) == 30
    assert body["instance"] == "/api/v1/process" and body["violated-policies"] == ["default"]


def test_limit_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="requests >= 1"):
        Limit(0, 60)
