"""From test outcomes to criterion statuses, task verdicts and the sprint verdict."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .catalogue import Catalogue
from .waivers import Waiver

PASSED, FAILED, ERROR, SKIPPED, WAIVED, NOT_COVERED = (
    "passed", "failed", "error", "skipped", "waived", "not-covered",
)
# Worst first: a criterion takes the worst status among its tests.
_RANK = {ERROR: 0, FAILED: 1, SKIPPED: 2, PASSED: 3}


@dataclass
class TestOutcome:
    """Everything known about one test node after its phases have reported."""

    nodeid: str
    criteria: list[str] = field(default_factory=list)
    status: str = PASSED
    reason: str = ""
    duration_s: float = 0.0
    evidence: list[dict[str, str]] = field(default_factory=list)
    ran: bool = False

    def update(self, when: str, outcome: str, duration: float, reason: str) -> None:
        self.ran = True
        self.duration_s += duration
        if outcome == "passed":
            return
        if outcome == "skipped":
            new = SKIPPED
        elif when == "call":
            new = FAILED
        else:
            new = ERROR
        if _RANK[new] < _RANK[self.status]:
            self.status, self.reason = new, reason


def build_report(
    catalogue: Catalogue,
    outcomes: dict[str, TestOutcome],
    waivers: dict[str, Waiver],
    *,
    environment: dict[str, Any],
    today: dt.date,
    interrupted: bool = False,
) -> dict[str, Any]:
    """The sign-off report as a JSON-ready dict (the schema of reports/signoff.json)."""
    claims: dict[str, list[TestOutcome]] = {}
    for outcome in outcomes.values():
        for cid in outcome.criteria:
            claims.setdefault(cid, []).append(outcome)
    tasks: list[dict[str, Any]] = []
    for task in catalogue.tasks:
        rows: list[dict[str, Any]] = []
        for c in task.criteria:
            tests = [t for t in claims.get(c.id, []) if t.ran]
            status, reasons = _criterion_status(tests, interrupted)
            waiver = waivers.get(c.id)
            if waiver is not None and status != PASSED:
                if waiver.expired(today):
                    status = FAILED
                    reasons.insert(0, f"waiver expired on {waiver.expires.isoformat()} (underlying: {reasons or status})")
                else:
                    status = WAIVED
            rows.append({
                "id": c.id,
                "text": c.text,
                "severity": c.severity,
                "how": c.how,
                "status": status,
                "reasons": reasons,
                "tests": [t.nodeid for t in tests],
                "evidence": [{**e, "test": t.nodeid} for t in tests for e in t.evidence],
                "duration_s": round(sum(t.duration_s for t in tests), 3),
                "waiver": waiver.as_dict(today) if waiver else None,
            })
        signed = all(r["status"] in (PASSED, WAIVED) for r in rows)
        tasks.append({
            "id": task.id,
            "title": task.title,
            "verdict": "signed-off" if signed else "not-signed-off",
            "counts": _counts(rows),
            "criteria": rows,
        })
    verdict = "signed-off" if tasks and all(t["verdict"] == "signed-off" for t in tasks) else "not-signed-off"
    return {
        "sprint": catalogue.sprint,
        "verdict": verdict,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "interrupted": interrupted,
        "environment": environment,
        "summary": {
            "tasks_signed_off": sum(t["verdict"] == "signed-off" for t in tasks),
            "tasks_total": len(tasks),
            "criteria": _counts([r for t in tasks for r in t["criteria"]]),
        },
        "tasks": tasks,
    }


def _criterion_status(tests: list[TestOutcome], interrupted: bool) -> tuple[str, list[str]]:
    if not tests:
        why = "run interrupted before any claiming test ran" if interrupted else "no collected test claims this criterion"
        return NOT_COVERED, [why]
    worst = min(tests, key=lambda t: _RANK[t.status])
    reasons = [f"{t.nodeid}: {t.reason}" for t in tests if t.status == worst.status and t.reason]
    return worst.status, reasons


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts = {s: 0 for s in (PASSED, FAILED, ERROR, SKIPPED, WAIVED, NOT_COVERED)}
    for r in rows:
        counts[r["status"]] += 1
    return counts
