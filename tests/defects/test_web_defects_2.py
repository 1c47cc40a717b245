"""More planted defects of the web layer (WIL-1.2-007..011): each criterion below is seen to FAIL.

Each defect is the reference with ONE plausible mistake (tests/defects/web_sessions.py and the
modules of tests/defects/web_apps/ say which and why). To keep the number of sign-off runs low, one
defective app carries one defect per TASK (web_apps/combined.py), so a run of the 008, 009 and 011
suites judges three defects at once, and per task exactly that defect's criteria must fail while the
task's other criteria pass as they do for the reference. The real suites judge them:

* in process (``--impl web_app=...`` / ``--impl session_store=...``): the checks that break the
  app's own Redis, database or MCP run, so outage and metric defects can show;
* by URL (``--app-url`` of the app served on loopback by ``served`` of test_web_defects): the
  criteria observable from outside; there the reference skips what needs a fault the harness cannot
  cause on an external app.

Every run uses the test process's stack (``--env-file``): no subprocess starts servers of its own.
Deselected to stay fast: 008's hanging-MCP timing (AC5 is still judged by the plain timing test)
and 011's fuzzing (AC3 is still judged by the malformed-request and echo tests).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.infra import Stack
from harness.infra.external import write_env_file
from tests.defects.test_web_defects import SUITES, served
from tests.signoff_run import run_signoff, statuses, with_status

SESSIONS = "suites/test_wil_1_2_007_sessions.py"
DESELECT = ("-k", "not hanging and not fuzz")


def acs(*numbers: int) -> set[str]:
    return {f"AC{n}" for n in numbers}


# What the reference passes in each mode (with the selection above).
IN_PROCESS_PASSED = {"WIL-1.2-007": acs(1, 2, 3, 4, 5), "WIL-1.2-008": acs(1, 2, 3, 4, 5, 6),
                     "WIL-1.2-009": acs(1, 2, 3, 4, 5), "WIL-1.2-011": acs(1, 2, 3, 4, 5, 6)}
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
    report = run_signoff(tmp_path, SESSIONS, "--env-file", str(env_file), "--allow-destructive",
                         "--impl", f"session_store=tests.defects.web_sessions:{impl}")
    check(report, "WIL-1.2-007", failed, IN_PROCESS_PASSED["WIL-1.2-007"])


HEALTH, METRICS, LIMITS, VALIDATION = "WIL-1.2-008", "WIL-1.2-009", "WIL-1.2-010", "WIL-1.2-011"


def combined(name: str) -> str:
    return f"tests.defects.web_apps.combined:{name}"


@pytest.mark.parametrize(("app", "expected"), [
    # 008: the outage checks claim AC2 and AC3 together, so a database nobody asks fails both.
    pytest.param("db_not_queried__zero_percent__own_error_shape",
                 {HEALTH: acs(2, 3), METRICS: acs(1), VALIDATION: acs(5)}, id="008AC2-009AC1-011AC5"),
    pytest.param("mcp_not_counted__latency_in_s__lax_query",
                 {HEALTH: acs(3), METRICS: acs(3), VALIDATION: acs(2)}, id="008AC3-009AC3-011AC2"),
    # 011: AC2's query checks expect E401 too, so one code for everything fails AC2 and AC4.
    pytest.param("version_hardcoded__warning_on_ratio__query_e400",
                 {HEALTH: acs(4), METRICS: acs(4), VALIDATION: acs(2, 4)}, id="008AC4-009AC4-011AC4"),
    pytest.param("maxmemory_once__raw_input", {METRICS: acs(5), VALIDATION: acs(6)}, id="009AC5-011AC6"),
])
def test_defective_app_in_process(app: str, expected: dict[str, set[str]], env_file: Path, tmp_path: Path) -> None:
    """The suites drive the app in process (they can break its own servers); per task, exactly the
    criteria of that task's one defect fail."""
    report = run_signoff(tmp_path, *(SUITES[task] for task in expected), "--env-file", str(env_file),
                         "--allow-destructive", *DESELECT, "--impl", f"web_app={combined(app)}")
    for task, failed in expected.items():
        check(report, task, failed, IN_PROCESS_PASSED[task])


def test_defective_app_by_url(stack: Stack, tmp_path: Path) -> None:
    """Over real HTTP (--app-url), as a deployed app: health also served at /api/health (008/AC1), a 429
    without Retry-After (010/AC5) and an upload schema without constraints (011/AC1)."""
    expected = {HEALTH: acs(1), LIMITS: acs(5), VALIDATION: acs(1)}
    with served(combined("lax_upload__no_retry_after__unversioned_alias"), stack, tmp_path) as (url, env_file):
        report = run_signoff(tmp_path, *(SUITES[task] for task in expected), "--env-file", str(env_file),
                             "--allow-destructive", "--app-url", url, *DESELECT)
    for task, failed in expected.items():
        check(report, task, failed, BY_URL_PASSED[task])
