"""The Allure HTML report: built by scripts/allure-report.sh from a real (tiny) sign-off, as one file
that opens from disk, with history carried between two consecutive runs, rendered in headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.allure import browser
from tests.signoff_run import run_signoff, with_status

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "allure-report.sh"
SCREENSHOT = ROOT / "reports" / "allure-screenshot.png"
TINY_SUITE = '''\
import pytest


@pytest.mark.criterion("WIL-1.2-005/AC1")
def test_scheme_is_rediss(evidence):
    """Passes: a synthetic check with evidence."""
    evidence.text("scheme", "rediss")
    assert "rediss://cache:6380/0".startswith("rediss://")


@pytest.mark.criterion("WIL-1.2-005/AC2")
def test_ca_is_configured():
    """Fails on purpose, so the report shows a failed criterion."""
    assert None == "/certs/ca.pem", "no CA configured"
'''


def _needs_node() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js/npm not installed (CI: apt-get install -y nodejs npm): Allure 3 cannot run")


def _build(results: Path, out: Path, history: Path) -> dict[str, Any]:
    env = {**os.environ, "ALLURE_OUTPUT": str(out), "ALLURE_HISTORY": str(history)}
    done = subprocess.run([str(SCRIPT), str(results)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text())
    return summary


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two consecutive sign-offs of the tiny suite, a report built after each, one history file."""
    _needs_node()
    tmp = tmp_path_factory.mktemp("allure")
    suite = tmp / "test_tiny_signoff.py"
    suite.write_text(TINY_SUITE)
    history = tmp / "allure-history" / "history.jsonl"
    runs: dict[str, Any] = {"history": history, "tmp": tmp}
    for n in (1, 2):
        report = run_signoff(tmp / f"run{n}", str(suite))
        assert with_status(report, "WIL-1.2-005", "failed") == {"AC2"}
        out = tmp / f"report{n}"
        runs[n] = {"summary": _build(tmp / f"run{n}" / "report" / "allure-results", out, history), "out": out}
    return runs


def test_report_is_one_file_with_history_carried(two_runs: dict[str, Any]) -> None:
    """Each build writes a single self-contained index.html (no assets beside it, no script fetched, the
    Allure analytics tag removed); the
    history file gains one line per run, and the second report knows the first run's tests (no "new")."""
    for n in (1, 2):
        out: Path = two_runs[n]["out"]
        assert sorted(p.name for p in out.iterdir()) == ["index.html", "summary.json", "test-results.json"]
        html = (out / "index.html").read_text(encoding="utf-8")
        assert not re.search(r'<script[^>]+src="(?!data:)', html), "single file must not load any script"
        assert "googletagmanager" not in html and "gtag(" not in html, "no tracking in a sign-off report"
        assert two_runs[n]["summary"]["meta"]["singleFile"] is True
        assert two_runs[n]["summary"]["stats"]["failed"] == 1 and two_runs[n]["summary"]["stats"]["passed"] == 1
    lines = two_runs["history"].read_text().splitlines()
    assert len(lines) == 2
    first_run = json.loads(lines[0])["uuid"]
    assert two_runs[1]["summary"]["stats"].get("new") == 2
    assert two_runs[2]["summary"]["newTests"] == [] and "new" not in two_runs[2]["summary"]["stats"]
    assert first_run in (two_runs[2]["out"] / "index.html").read_text(encoding="utf-8")


def test_report_renders_task_names_in_headless_chromium(two_runs: dict[str, Any]) -> None:
    """Opened from file:// in headless Chromium, the rendered page (scripts and styles stripped from the
    DOM) shows the task and its criteria by name; a screenshot lands in reports/allure-screenshot.png."""
    binary = browser.chromium()
    if binary is None:
        pytest.skip("chromium not installed (CI: apt-get install -y chromium)")
    url = (two_runs[2]["out"] / "index.html").as_uri()
    dom = browser.dump_dom(binary, two_runs["tmp"] / "chromium", url)
    visible = re.sub(r"<(script|style)\b.*?</\1>", "", dom, flags=re.S)
    assert "WIL-1.2-005 Redis TLS Connection Configuration" in visible
    assert "WIL-1.2-005/AC2 CA certificate path configured" in visible
    assert "WIL-1.2-005/AC1" in visible
    browser.screenshot(binary, two_runs["tmp"] / "chromium", url, SCREENSHOT)
    assert SCREENSHOT.stat().st_size > 10_000


def test_script_explains_missing_results(tmp_path: Path) -> None:
    """No results yet: the script stops with the reason and the command to run first."""
    _needs_node()
    done = subprocess.run([str(SCRIPT), str(tmp_path / "nothing")], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 2 and "make signoff" in done.stderr
