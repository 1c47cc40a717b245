"""One wrong number or one wrong URL at a time: each fails exactly the criterion that names it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.defects.test_tls_defects import defective_env  # noqa: F401 - fixture
from tests.signoff_run import run_signoff, statuses, with_status


@pytest.mark.parametrize(
    ("suite", "impl", "task", "failed"),
    [
        pytest.param("suites/test_wil_1_2_006_circuit_breaker.py", "breaker=tests.defects.config_defects:ImpatientBreaker",
                     # AC2's checks walk through OPEN and back, so an early recovery shows there too.
                     "WIL-1.2-006", {"AC2", "AC3"}, id="breaker-recovers-after-10s"),
        pytest.param("suites/test_wil_1_2_007_sessions.py", "session_store=tests.defects.config_defects:OneHourSessions",
                     "WIL-1.2-007", {"AC2"}, id="sessions-live-1h"),
        pytest.param("suites/test_wil_1_2_010_rate_limit.py",
                     "limiter=tests.defects.config_defects:GenerousDefaultLimiter",
                     # Every check that relies on the unconfigured default sees 20, not 10.
                     "WIL-1.2-010", {"AC2", "AC3", "AC4", "AC6"}, id="default-limit-20"),
    ],
)
def test_wrong_number(tmp_path: Path, suite: str, impl: str, task: str, failed: set[str]) -> None:
    """The implementation is right but for one configured value."""
    report = run_signoff(tmp_path, suite, "--impl", impl)
    assert with_status(report, task, "failed") == failed, (statuses(report, task), report["_stdout"][-3000:])


def pool_is_direct(values: dict[str, str]) -> None:
    values["DATABASE_POOL_URL"] = values["DATABASE_URL"]


def direct_is_pooled(values: dict[str, str]) -> None:
    values["DATABASE_URL"] = values["DATABASE_POOL_URL"]


@pytest.mark.parametrize(
    ("edit", "failed"),
    [
        pytest.param(pool_is_direct, {"AC3", "AC5"}, id="pooled-url-skips-pgbouncer"),
        pytest.param(direct_is_pooled, {"AC4"}, id="direct-url-goes-through-pgbouncer"),
    ],
)
def test_001_url_defects(tmp_path: Path, defective_env, edit, failed: set[str]) -> None:  # noqa: F811
    """A pooled URL that reaches PostgreSQL directly, or a direct URL that goes through PgBouncer."""
    report = run_signoff(tmp_path, "suites/test_wil_1_2_001_database_url_ssl.py", "--env-file",
                         str(defective_env(edit)))
    assert with_status(report, "WIL-1.2-001", "failed") == failed, (statuses(report, "WIL-1.2-001"),
                                                                    report["_stdout"][-3000:])


def test_breaker_that_never_opens(tmp_path: Path) -> None:
    """A breaker that counts failures but never trips fails every criterion of 006 and of 014: every
    transition, the threshold, recovery, the half-open gate, the logs and the fallback all start at OPEN."""
    report = run_signoff(tmp_path, "suites/test_wil_1_2_006_circuit_breaker.py",
                         "suites/test_wil_1_2_014_breaker_unit_tests.py",
                         "--impl", "breaker=tests.defects.config_defects:NeverOpensBreaker")
    every = {f"AC{k}" for k in range(1, 7)}
    assert with_status(report, "WIL-1.2-006", "failed") == every, statuses(report, "WIL-1.2-006")
    assert with_status(report, "WIL-1.2-014", "failed") == every, statuses(report, "WIL-1.2-014")
