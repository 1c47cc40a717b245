"""The files Allure reads beside the results: environment, executor and categories."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

CATEGORIES = [
    {"name": "Criterion not met", "matchedStatuses": ["failed"]},
    {"name": "Harness or infrastructure error", "matchedStatuses": ["broken"]},
    {"name": "Skipped: target did not grant access", "matchedStatuses": ["skipped"], "messageRegex": ".*(not granted|external|--allow-destructive).*"},
    {"name": "Skipped", "matchedStatuses": ["skipped"]},
]


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = str(value)


def write_allure_extras(report: dict[str, Any], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    flat: dict[str, str] = {}
    _flatten("", report["environment"], flat)
    flat["verdict"] = report["verdict"]
    lines = [f"{k.replace(' ', '_')}={v}".replace("\n", " ") for k, v in sorted(flat.items())]
    (directory / "environment.properties").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (directory / "categories.json").write_text(json.dumps(CATEGORIES, indent=2), encoding="utf-8")
    executor = {
        "name": "GitHub Actions" if os.environ.get("GITHUB_ACTIONS") else ("CI" if os.environ.get("CI") else "local"),
        "type": "github" if os.environ.get("GITHUB_ACTIONS") else "local",
        "buildName": f"sign-off {report['generated_at']}",
        "reportName": f"{report['sprint']}: {report['verdict']}",
    }
    if os.environ.get("GITHUB_RUN_ID"):
        executor["buildOrder"] = os.environ["GITHUB_RUN_ID"]
        executor["buildUrl"] = (
            f"{os.environ.get('GITHUB_SERVER_URL', '')}/{os.environ.get('GITHUB_REPOSITORY', '')}"
            f"/actions/runs/{os.environ['GITHUB_RUN_ID']}"
        )
    (directory / "executor.json").write_text(json.dumps(executor, indent=2), encoding="utf-8")
