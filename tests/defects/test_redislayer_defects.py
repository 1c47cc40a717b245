"""Planted defects of the Redis layer: the plan's sketches must fail exactly what they violate."""

from __future__ import annotations

from pathlib import Path

from tests.signoff_run import run_signoff, statuses, with_status

SESSIONS = "suites/test_wil_1_2_007_sessions.py"
LIMITS = "suites/test_wil_1_2_010_rate_limit.py"


def test_reference_implementations_pass(tmp_path: Path) -> None:
    """Control: the reference store and limiter pass every criterion these suites claim."""
    report = run_signoff(tmp_path, SESSIONS, LIMITS)
    assert with_status(report, "WIL-1.2-007", "passed") == {"AC1", "AC2", "AC3", "AC4", "AC5"}, report["_stdout"][-3000:]
    assert with_status(report, "WIL-1.2-010", "passed") == {"AC1", "AC2", "AC3", "AC4", "AC5", "AC6"}, \
        report["_stdout"][-3000:]


def test_plans_limiter_over_admits_under_concurrency(tmp_path: Path) -> None:
    """Separate ZREMRANGEBYSCORE/ZCARD/ZADD with the client clock: only AC1 (atomic sliding window) fails."""
    report = run_signoff(tmp_path, LIMITS, "--impl", "limiter=tests.defects.naive_limiter:NaiveLimiter")
    assert with_status(report, "WIL-1.2-010", "failed") == {"AC1"}, statuses(report, "WIL-1.2-010")
    assert with_status(report, "WIL-1.2-010", "passed") == {"AC2", "AC3", "AC4", "AC5", "AC6"}
    assert "over-admission under concurrency" in report["_stdout"]


def test_plans_session_store_loses_outage_sessions(tmp_path: Path) -> None:
    """Fallback `() => {}` and unchecked ids: AC4 (fallback + write-back) and AC5 (ids reach Redis) fail."""
    report = run_signoff(tmp_path, SESSIONS, "--impl", "session_store=tests.defects.naive_session:NaiveSessionStore")
    assert with_status(report, "WIL-1.2-007", "failed") == {"AC4", "AC5"}, statuses(report, "WIL-1.2-007")
    assert with_status(report, "WIL-1.2-007", "passed") == {"AC1", "AC2", "AC3"}
