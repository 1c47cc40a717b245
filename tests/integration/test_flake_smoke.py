"""flake-check end to end: two real sign-off runs of one small suite module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.signoff_run import ROOT


def test_flake_check_two_runs_of_redis_tls(tmp_path: Path) -> None:
    """``python -m harness flake-check -n 2 suites/test_wil_1_2_005_redis_tls.py``: two runs,
    both reports read, durations and verdicts printed, exit 0 when nothing changed status
    (and 1 with the flaky criteria listed otherwise: then the output says which)."""
    out = tmp_path / "flake"
    done = subprocess.run(
        [sys.executable, "-m", "harness", "flake-check", "-n", "2", "--workers", "2", "--out", str(out),
         "suites/test_wil_1_2_005_redis_tls.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DATABASE_", "REDIS_"))})
    text = done.stdout + done.stderr
    summary = json.loads((out / "flake-check.json").read_text())
    assert [r["index"] for r in summary["runs"]] == [1, 2], text
    assert all(r["verdict"] == "not-signed-off" for r in summary["runs"]), text  # one task of 16 only
    for i in (1, 2):
        report = json.loads((out / f"run-{i}" / "signoff.json").read_text())
        task = next(t for t in report["tasks"] if t["id"] == "WIL-1.2-005")
        assert {c["status"] for c in task["criteria"]} == {"passed"}, text
        assert f"run {i}:" in text
    assert done.returncode == (1 if summary["flakes"] else 0), text
    assert "no criterion changed status between runs" in text
    assert done.returncode == 0
