"""Run the sign-off in a subprocess and read its report: the planted-defect pattern.

    report = run_signoff(tmp_path, "suites/test_wil_1_2_005_redis_tls.py", "--impl", "redis_client=...")
    assert failed(report, "WIL-1.2-005") == {"AC1"}
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness.infra.process import run_with_grace

ROOT = Path(__file__).resolve().parents[1]


def run_signoff(tmp_path: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> dict[str, Any]:
    """pytest on the given suite paths/options; returns reports/signoff.json as a dict."""
    out = tmp_path / "report"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DATABASE_", "REDIS_"))}
    full_env.update(env or {})
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", f"--signoff-report-dir={out}", *args]
    returncode, stdout, stderr = run_with_grace(cmd, timeout=timeout, cwd=ROOT, env=full_env, stdout=subprocess.PIPE,
                                                stderr=subprocess.PIPE, text=True)
    stdout, stderr = str(stdout or ""), str(stderr or "")
    if returncode is None:
        raise AssertionError(f"the sign-off did not finish within {timeout} s:\n{stdout[-4000:]}\n{stderr[-4000:]}")
    path = out / "signoff.json"
    if not path.exists():
        raise AssertionError(f"no report written (exit {returncode}):\n{stdout[-4000:]}\n{stderr[-4000:]}")
    report: dict[str, Any] = json.loads(path.read_text())
    report["_stdout"] = stdout
    report["_returncode"] = returncode
    return report


def statuses(report: dict[str, Any], task_id: str) -> dict[str, str]:
    """{"AC1": "passed", ...} for one task."""
    task = next(t for t in report["tasks"] if t["id"] == task_id)
    return {c["id"].split("/")[1]: c["status"] for c in task["criteria"]}


def with_status(report: dict[str, Any], task_id: str, status: str) -> set[str]:
    return {k for k, v in statuses(report, task_id).items() if v == status}
