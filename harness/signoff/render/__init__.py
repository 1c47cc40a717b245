"""Renderers: the same report dict as Markdown, HTML, JUnit XML and Allure extras."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..redact import redact, redact_obj
from .allure_extras import write_allure_extras
from .html import render_html
from .junit import render_junit
from .markdown import render_markdown

__all__ = ["write_all"]


def write_all(report: dict[str, Any], directory: Path, *, allure_dir: Path | None) -> dict[str, Path]:
    """Write every format; returns what was written. Everything is redacted once more."""
    directory.mkdir(parents=True, exist_ok=True)
    report = redact_obj(report)
    outputs = {
        "json": (directory / "signoff.json", json.dumps(report, indent=2) + "\n"),
        "markdown": (directory / "signoff.md", render_markdown(report)),
        "html": (directory / "signoff.html", render_html(report)),
        "junit": (directory / "junit.xml", render_junit(report)),
    }
    written = {}
    for name, (path, text) in outputs.items():
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(redact(text), encoding="utf-8")
        tmp.replace(path)
        written[name] = path
    if allure_dir is not None:
        write_allure_extras(report, allure_dir)
        written["allure"] = allure_dir
    return written
