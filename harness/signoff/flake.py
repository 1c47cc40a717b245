"""``python -m harness flake-check``: run the sign-off N times and report criteria whose status changed.

    python -m harness flake-check [-n N] [--workers W] [--out DIR] [--run-timeout S] [pytest args...]

Each run is ``python -m pytest -n W --signoff-report-dir DIR/run-i [pytest args...]`` in a
subprocess (the same command as ``make signoff`` without the gate); its ``signoff.json`` is
read back. A criterion *flaked* when its status is not the same in every run (a run that
wrote no report, or did not list the criterion, counts as status ``"absent"``). Printed:
every flaked criterion with its sequence of statuses and the reasons of the runs where it
did not pass, then each run's duration, exit code and verdict. Exit status 1 if anything
flaked (or a run wrote no report), else 0. A criterion that fails the same way every
time is *not* a flake: it is a steady failure, listed separately.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.infra.process import run_with_grace

ABSENT = "absent"  # the run wrote no report, or its report did not list the criterion


@dataclass(frozen=True)
class RunResult:
    """What one sign-off run left behind."""

    index: int
    duration_s: float
    returncode: int
    verdict: str  # the report's verdict, or "no-report"
    statuses: Mapping[str, str]  # criterion id -> status
    reasons: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # criterion id -> reasons


@dataclass(frozen=True)
class Flake:
    """A criterion whose status was not the same in every run."""

    criterion: str
    sequence: tuple[str, ...]  # one status per run, in run order
    reasons: tuple[tuple[int, str], ...]  # (run index, reason) for runs where it did not pass


def from_report(index: int, report: Mapping[str, Any] | None, *, duration_s: float = 0.0,
                returncode: int = 0) -> RunResult:
    """A RunResult from a signoff.json dict (None: the run wrote no report)."""
    if report is None:
        return RunResult(index, duration_s, returncode, "no-report", {}, {})
    statuses: dict[str, str] = {}
    reasons: dict[str, tuple[str, ...]] = {}
    for task in report.get("tasks", []):
        for crit in task.get("criteria", []):
            statuses[str(crit["id"])] = str(crit["status"])
            reasons[str(crit["id"])] = tuple(str(r) for r in crit.get("reasons", []))
    return RunResult(index, duration_s, returncode, str(report.get("verdict", "unknown")), statuses, reasons)


def find_flakes(runs: Sequence[RunResult]) -> list[Flake]:
    """Criteria whose status differs between runs, sorted by id (absent counts as a status)."""
    ids = sorted({cid for run in runs for cid in run.statuses})
    flakes: list[Flake] = []
    for cid in ids:
        sequence = tuple(run.statuses.get(cid, ABSENT) for run in runs)
        if len(set(sequence)) > 1:
            reasons = tuple((run.index, reason) for run in runs if run.statuses.get(cid, ABSENT) != "passed"
                            for reason in run.reasons.get(cid, ()))
            flakes.append(Flake(cid, sequence, reasons))
    return flakes


def steady_failures(runs: Sequence[RunResult]) -> dict[str, str]:
    """Criteria with the same non-passing status in every run (not flakes, but worth seeing)."""
    if not runs or any(run.verdict == "no-report" for run in runs):
        return {}
    first = runs[0].statuses
    return {cid: status for cid, status in sorted(first.items())
            if status not in ("passed", "waived") and all(r.statuses.get(cid) == status for r in runs)}


def gist(reason: str, max_chars: int = 300) -> str:
    """The part of a failure reason worth a console line: ``nodeid: `` plus pytest's ``E`` lines (the
    error itself) when there are any, else the reason's end (a traceback's head says nothing)."""
    nodeid, sep, text = reason.partition(": ")
    errors = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    body = " | ".join(errors) if errors else text.strip()
    if len(body) > max_chars:
        body = body[:max_chars] + "..." if errors else "..." + body[-max_chars:]
    return f"{nodeid}{sep}{body}"


def render(runs: Sequence[RunResult], flakes: Sequence[Flake], *, max_reason: int = 300) -> str:
    """The console summary."""
    lines = [f"flake-check: {len(runs)} run(s)"]
    for run in runs:
        lines.append(f"  run {run.index}: {run.duration_s:7.1f} s  exit {run.returncode}  verdict {run.verdict}  "
                     f"({sum(s == 'passed' for s in run.statuses.values())}/{len(run.statuses)} criteria passed)")
    missing = [run.index for run in runs if run.verdict == "no-report"]
    if missing:
        lines.append(f"runs without a report (crashed or timed out): {missing}")
    if flakes:
        lines.append(f"FLAKY: {len(flakes)} criterion/criteria changed status between runs:")
        for flake in flakes:
            lines.append(f"  {flake.criterion}: {' -> '.join(flake.sequence)}")
            for index, reason in flake.reasons:
                lines.append(f"      run {index}: {gist(reason, max_reason)}")
    else:
        lines.append("no criterion changed status between runs")
    steady = steady_failures(runs)
    if steady:
        lines.append("steady (same non-passing status in every run, not flaky): "
                     + ", ".join(f"{cid}={status}" for cid, status in steady.items()))
    return "\n".join(lines)


def run_once(index: int, out: Path, *, workers: int, pytest_args: Sequence[str], timeout: float,
             cwd: Path | None = None) -> RunResult:
    """One sign-off run in a subprocess; its report read back."""
    report_dir = out / f"run-{index}"
    # "--opt=value", not "--opt value": pytest picks its rootdir before the plugin's options are
    # known, so a separate value looks like a path argument and moves rootdir (and testpaths) away.
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-n", str(workers),
           f"--signoff-report-dir={report_dir}", *pytest_args]
    log_path = out / f"run-{index}.log"
    started = time.monotonic()
    with open(log_path, "wb") as log:
        returncode, _, _ = run_with_grace(cmd, timeout=timeout, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        code = -1 if returncode is None else returncode  # timed out: whatever report it wrote is still read
    duration = time.monotonic() - started
    path = report_dir / "signoff.json"
    report: dict[str, Any] | None = json.loads(path.read_text()) if path.exists() else None
    return from_report(index, report, duration_s=duration, returncode=code)


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        prog="python -m harness flake-check",
        description="Run the sign-off N times; print every criterion whose status changed between runs. "
                    "Unknown arguments go to pytest (e.g. a suite path, -m wil_1_2_005).")
    parser.add_argument("-n", "--runs", type=int, default=20, help="number of sign-off runs (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers per run (default 2)")
    parser.add_argument("--out", type=Path, default=None,
                        help="directory for run-i/ reports and run-i.log (default: a new temp directory, kept)")
    parser.add_argument("--run-timeout", type=float, default=1800.0, help="seconds before a run is killed")
    args, rest = parser.parse_known_args(list(argv))
    if args.runs < 2:
        parser.error("-n must be at least 2: a flake is a difference between runs")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    return args, rest


def main(argv: Sequence[str] | None = None) -> int:
    args, pytest_args = parse_args(sys.argv[1:] if argv is None else argv)
    out: Path = args.out or Path(tempfile.mkdtemp(prefix="flake-check-"))
    out.mkdir(parents=True, exist_ok=True)
    print(f"flake-check: {args.runs} runs of pytest -n {args.workers} {' '.join(pytest_args)}; reports in {out}",
          flush=True)
    runs: list[RunResult] = []
    for i in range(1, args.runs + 1):
        run = run_once(i, out, workers=args.workers, pytest_args=pytest_args, timeout=args.run_timeout)
        print(f"  run {i}/{args.runs}: {run.duration_s:.1f} s, exit {run.returncode}, verdict {run.verdict}",
              flush=True)
        runs.append(run)
    flakes = find_flakes(runs)
    print(render(runs, flakes))
    (out / "flake-check.json").write_text(json.dumps({
        "runs": [{"index": r.index, "duration_s": round(r.duration_s, 2), "returncode": r.returncode,
                  "verdict": r.verdict} for r in runs],
        "flakes": [{"criterion": f.criterion, "sequence": list(f.sequence),
                    "reasons": [{"run": i, "reason": s} for i, s in f.reasons]} for f in flakes],
    }, indent=2) + "\n")
    no_report = any(r.verdict == "no-report" for r in runs)
    return 1 if flakes or no_report else 0


if __name__ == "__main__":
    raise SystemExit(main())
