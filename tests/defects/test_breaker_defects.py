"""Planted defect: the plan's breaker sketch (tests/defects/naive_breaker.py) must fail exactly what it breaks.

WIL-1.2-006: AC2 (an absolute count: failures spread over > 60 s open it, and a success in between resets it),
AC4 (HALF_OPEN lets every caller through), AC5 (only OPEN is logged, no listeners), AC6 (a WRONGTYPE reply is
counted and swallowed by the fallback). AC1 and AC3 pass: the sketch does reach all three states and does
wait out the recovery timeout.
WIL-1.2-014: AC6 (the count never decays; the model check disagrees). AC1..AC5 pass: its basic transitions and
the fallback when OPEN work.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.signoff_run import run_signoff, statuses, with_status

NAIVE = "breaker=tests.defects.naive_breaker:NaiveBreaker"


@pytest.fixture(scope="module")
def naive_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return run_signoff(tmp_path_factory.mktemp("naive-breaker"), "suites/test_wil_1_2_006_circuit_breaker.py",
                       "suites/test_wil_1_2_014_breaker_unit_tests.py", "--impl", NAIVE, timeout=600)


def test_naive_breaker_fails_exactly_what_it_breaks_in_006(naive_report: dict[str, object]) -> None:
    assert statuses(naive_report, "WIL-1.2-006") == {
        "AC1": "passed", "AC2": "failed", "AC3": "passed", "AC4": "failed", "AC5": "failed", "AC6": "failed"}


def test_naive_breaker_fails_only_the_decay_criterion_in_014(naive_report: dict[str, object]) -> None:
    assert with_status(naive_report, "WIL-1.2-014", "failed") == {"AC6"}
    assert with_status(naive_report, "WIL-1.2-014", "passed") == {"AC1", "AC2", "AC3", "AC4", "AC5"}


def test_reference_breaker_signs_off_both_tasks(tmp_path: Path) -> None:
    report = run_signoff(tmp_path, "suites/test_wil_1_2_006_circuit_breaker.py",
                         "suites/test_wil_1_2_014_breaker_unit_tests.py", timeout=600)
    for task in ("WIL-1.2-006", "WIL-1.2-014"):
        assert with_status(report, task, "passed") == {f"AC{i}" for i in range(1, 7)}, statuses(report, task)
