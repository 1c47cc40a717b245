"""The assertion of the planted-defect self-tests: exactly these criteria failed, the rest that ran passed."""

from __future__ import annotations

from typing import Any

from tests.signoff_run import statuses, with_status


def reasons(report: dict[str, Any], task: str) -> str:
    """Why each criterion of ``task`` got its status (the report's own words), for failure messages."""
    crit = next(t for t in report["tasks"] if t["id"] == task)["criteria"]
    return "\n".join(f"{c['id']} {c['status']}: {c.get('reasons')}" for c in crit)


def expect_failed(report: dict[str, Any], task: str, failed: set[str]) -> None:
    """Exactly ``failed`` failed; every other criterion that ran (was not deselected with -k) passed."""
    got = statuses(report, task)
    assert with_status(report, task, "failed") == failed, (
        f"{task}: {got}\n{str(report['_stdout'])[-3000:]}\n{reasons(report, task)}")
    ran = set(got) - with_status(report, task, "not-covered")
    assert with_status(report, task, "passed") == ran - failed, f"{task}: {got}\n{reasons(report, task)}"
