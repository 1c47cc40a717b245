"""Reading a Markdown runbook: its sections, its numbered procedure steps and the commands in them.

The rollback runbook is executable documentation: the suite runs the commands this finds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    number: int
    text: str
    commands: tuple[str, ...]


def section(markdown: str, title: str) -> str:
    """Body of the ``## title`` section (up to the next ``## `` heading); empty if absent."""
    match = re.search(rf"^## {re.escape(title)}\b.*?$(.*?)(?=^## |\Z)", markdown, re.MULTILINE | re.DOTALL)
    return match.group(1) if match else ""


def procedure_steps(markdown: str, *, title: str = "Procedure", prefix: str = "python -m harness migrate") -> list[Step]:
    """Numbered steps of a section, each with the ``prefix`` commands of its fenced code blocks, in order."""
    steps: list[Step] = []
    in_fence = False
    for line in section(markdown, title).splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_fence = not in_fence
            continue
        numbered = re.match(r"^(\d+)\.\s+(.*)$", line)
        if numbered and not in_fence:
            steps.append(Step(int(numbered.group(1)), numbered.group(2), ()))
        elif in_fence and stripped.startswith(prefix) and steps:
            last = steps[-1]
            steps[-1] = Step(last.number, last.text, (*last.commands, stripped))
    return steps


_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "sec": 1.0, "seconds": 1.0, "min": 60.0, "minutes": 60.0}


def stated_seconds(markdown: str, label: str) -> float | None:
    """A duration the document states as ``<label>: 60 s`` (bold markers allowed; ms, s, min), or None
    when there is no such line. A line with the label but no readable duration is an error, not a
    silent fallback to a default."""
    line = re.search(rf"{re.escape(label)}:?\**:?[^\n]*", markdown)
    if line is None:
        return None
    match = re.match(rf"{re.escape(label)}:?\**:?\s*(\d+(?:\.\d+)?)\s*(ms|seconds|sec|s|minutes|min)\b", line.group(0))
    if match is None:
        raise ValueError(f"cannot read the duration in {line.group(0).strip()!r} (write e.g. '{label}: 60 s')")
    return float(match.group(1)) * _DURATION_UNITS[match.group(2)]
