"""More planted defects of the web layer (WIL-1.2-007..011): every criterion below is seen to FAIL.

Each defect is the reference with ONE plausible mistake (modules in tests/defects/web_apps/ and
tests/defects/web_sessions.py say which and why). The real suite judges it:

* in process, ``--impl web_app=...`` / ``--impl session_store=...``: checks that break the app's own
  Redis, database or MCP run (make_app), so outage and metric defects can show;
* by URL, ``--app-url`` of the defective app served on loopback (``served`` of test_web_defects):
  the criteria observable from outside.

Every run uses the test process's stack (``--env-file``), so no subprocess starts servers of its own.
The assertion is the exact set of failed criteria of the task, and that the task's other criteria
passed as they do for the reference (by URL some are skipped there: they need faults the harness
cannot cause on an external app). Deselected to stay fast: 008's hanging-MCP timing (AC5, also
judged by the plain timing test) and 011's fuzzing (AC3, also judged by the malformed-request tests);
009's runs select the targeted criterion's tests only (its fills and pauses cost seconds), so there
the other criteria are not covered (each 009 defect was run against the whole suite when planted
and failed only its criterion).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.infra import Stack
from harness.infra.external import write_env_file
from tests.defects.test_web_defects import QUIET, SUITES, defect, served
from tests.signoff_run import run_signoff, statuses, with_status

SESSIONS = "suites/test_wil_1_2_007_sessions.py"
SELECT = {"WIL-1.2-008": ("-k", "not hanging"), "WIL-1.2-011": ("-k", "not fuzz")}


def acs(*numbers: int) -> set[str]:
    return {f"AC{n}" for n in numbers}


# What the reference passes in each mode (with the selection above).
IN_PROCESS_PASSED = {"WIL-1.2-007": acs(1, 2, 3, 4, 5), "WIL-1.2-008": acs(1, 2, 3, 4, 5, 6),
                     "WIL-1.2-011": acs(1, 2, 3, 4, 5, 6)}
BY_URL_PASSED = {"WIL-1.2-008": acs(1, 4, 5, 6), "WIL-1.2-010": acs(4, 5, 6), "WIL-1.2-011": acs(1, 2, 3, 4, 5, 6)}


def check(report: dict[str, Any], task: str, failed: set[str], baseline: set[str]) -> None:
    got = statuses(report, task)
    context = (got, report["_stdout"][-3000:])
    assert not with_status(report, task, "error"), context
    assert with_status(report, task, "failed") == failed, context
    assert with_status(report, task, "passed") == baseline - failed, context


@pytest.fixture
def env_file(stack: Stack, tmp_path: Path) -> Path:
    """The test process's stack as a .env file for the suite subprocess."""
    path = tmp_path / "stack.env"
    write_env_file(stack, path)
    return path


@pytest.mark.parametrize(("impl", "failed"), [
    pytest.param("TimeSeededIds", acs(1), id="007-AC1-time-seeded-ids-repeat"),
    pytest.param("UnguardedGets", acs(3), id="007-AC3-gets-bypass-the-breaker"),
])
def test_defective_session_store(impl: str, failed: set[str], env_file: Path, tmp_path: Path) -> None:
    """The sessions suite, given a store with one defect, fails exactly the criterion it breaks."""
    report = run_signoff(tmp_path, SESSIONS, "--env-file", str(env_file), "--allow-destructive", *QUIET,
                         "--impl", f"session_store=tests.defects.web_sessions:{impl}")
    check(report, "WIL-1.2-007", failed, IN_PROCESS_PASSED["WIL-1.2-007"])


def metrics_tests(words: str) -> tuple[str, ...]:
    """Select the 009 tests whose names contain any of ``words`` (space-separated)."""
    return ("-k", " or ".join(words.split()))


HEALTH, METRICS, VALIDATION = "WIL-1.2-008", "WIL-1.2-009", "WIL-1.2-011"


@pytest.mark.parametrize(("module", "task", "failed", "select"), [
    # The outage checks claim AC2 and AC3 together: a database nobody asks breaks both.
    pytest.param("health_database_not_queried", HEALTH, acs(2, 3), SELECT[HEALTH], id="008-AC2-db-not-queried"),
    pytest.param("health_mcp_not_counted", HEALTH, acs(3), SELECT[HEALTH], id="008-AC3-mcp-not-in-overall"),
    pytest.param("health_version_hardcoded", HEALTH, acs(4), SELECT[HEALTH], id="008-AC4-version-hardcoded"),
    pytest.param("metrics_no_limit_zero_percent", METRICS, acs(1), metrics_tests("memory_percent"),
                 id="009-AC1-no-limit-is-0-percent"),
    pytest.param("latency_status_in_seconds", METRICS, acs(3), metrics_tests("latency"),
                 id="009-AC3-latency-classified-in-s"),
    pytest.param("memory_warning_on_ratio", METRICS, acs(4), metrics_tests("memory_warning"),
                 id="009-AC4-warning-on-ratio"),
    pytest.param("maxmemory_read_once", METRICS, acs(5), metrics_tests("refreshed limit_change"),
                 id="009-AC5-maxmemory-read-once"),
    pytest.param("documents_own_error_shape", VALIDATION, acs(5), SELECT[VALIDATION], id="011-AC5-own-error-shape"),
])
def test_defective_app_in_process(module: str, task: str, failed: set[str], select: tuple[str, ...],
                                  env_file: Path, tmp_path: Path) -> None:
    """The suite drives the defective app in process (it can break the app's own servers)."""
    report = run_signoff(tmp_path, SUITES[task], "--env-file", str(env_file), "--allow-destructive", *QUIET,
                         *select, "--impl", f"web_app={defect(module)}")
    # 009 selects only the targeted criterion's tests: nothing else of the task is covered there.
    check(report, task, failed, IN_PROCESS_PASSED.get(task, failed))


@pytest.mark.parametrize(("module", "task", "failed"), [
    pytest.param("health_unversioned_alias", "WIL-1.2-008", acs(1), id="008-AC1-unversioned-alias"),
    pytest.param("retry_after_missing", "WIL-1.2-010", acs(5), id="010-AC5-429-without-retry-after"),
    pytest.param("upload_schema_lax", "WIL-1.2-011", acs(1), id="011-AC1-body-schema-without-constraints"),
    pytest.param("list_query_lax", "WIL-1.2-011", acs(2), id="011-AC2-query-schema-without-constraints"),
    # The query checks of AC2 expect E401 too: one code for everything breaks both.
    pytest.param("query_errors_e400", "WIL-1.2-011", acs(2, 4), id="011-AC4-query-errors-coded-e400"),
    pytest.param("handlers_get_raw_input", "WIL-1.2-011", acs(6), id="011-AC6-handlers-get-raw-input"),
])
def test_defective_app_by_url(module: str, task: str, failed: set[str], stack: Stack, tmp_path: Path) -> None:
    """The suite judges the defective app over real HTTP (--app-url), as it would a deployed one."""
    with served(defect(module), stack, tmp_path) as (url, env_file):
        report = run_signoff(tmp_path, SUITES[task], "--env-file", str(env_file), "--allow-destructive",
                             "--app-url", url, *QUIET, *SELECT.get(task, ()))
    check(report, task, failed, BY_URL_PASSED[task])
