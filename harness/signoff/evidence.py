"""What a test saw, recorded for the report (and for Allure, when it is active)."""

from __future__ import annotations

import json
from typing import Any

from .redact import redact

USER_PROPERTY = "signoff.evidence"
CRITERIA_PROPERTY = "signoff.criteria"
MAX_CHARS = 20_000


class Evidence:
    """Record observations: ``evidence.text(...)``, ``.json(...)``, ``.table(...)``.

    Entries are redacted as they are recorded and travel with the test report
    (``user_properties``), so they reach the controller under xdist.
    """

    def __init__(self, sink: list[tuple[str, object]]) -> None:
        self._sink = sink

    def _add(self, kind: str, label: str, content: str) -> None:
        content = redact(content)
        if len(content) > MAX_CHARS:
            content = content[:MAX_CHARS] + f"\n... ({len(content) - MAX_CHARS} more characters cut)"
        self._sink.append((USER_PROPERTY, {"kind": kind, "label": label, "content": content}))
        _attach_to_allure(kind, label, content)

    def text(self, label: str, content: str) -> None:
        self._add("text", label, str(content))

    def json(self, label: str, value: Any) -> None:
        self._add("json", label, json.dumps(value, indent=2, sort_keys=True, default=str))

    def table(self, label: str, rows: list[dict[str, Any]]) -> None:
        """Rows of a table (e.g. a SHOW POOLS result), rendered as aligned text."""
        if not rows:
            self._add("table", label, "(no rows)")
            return
        headers = list(rows[0])
        cells = [[str(r.get(h, "")) for h in headers] for r in rows]
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
        lines = [" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
        lines.append("-+-".join("-" * w for w in widths))
        lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
        self._add("table", label, "\n".join(lines))


def _attach_to_allure(kind: str, label: str, content: str) -> None:
    try:
        import allure
    except ImportError:  # pragma: no cover - allure-pytest is a dependency
        return
    attachment_type = allure.attachment_type.JSON if kind == "json" else allure.attachment_type.TEXT
    allure.attach(content, name=label, attachment_type=attachment_type)
