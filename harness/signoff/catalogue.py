"""The criteria catalogue: every task and acceptance criterion of the sprint, as data."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

SEVERITIES = ("critical", "high", "medium", "low")
_ID = re.compile(r"^WIL-1\.2-(\d{3})/AC(\d+)$")


@dataclass(frozen=True)
class Criterion:
    id: str
    task_id: str
    text: str
    severity: str
    how: str


@dataclass(frozen=True)
class Task:
    id: str
    title: str
    criteria: tuple[Criterion, ...]

    @property
    def marker(self) -> str:
        """The pytest marker selecting this task's tests, e.g. ``wil_1_2_005``."""
        return self.id.lower().replace("-", "_").replace(".", "_")


@dataclass(frozen=True)
class Catalogue:
    sprint: str
    tasks: tuple[Task, ...]

    def criterion(self, criterion_id: str) -> Criterion:
        return self.by_id[criterion_id]

    @property
    def by_id(self) -> dict[str, Criterion]:
        return {c.id: c for t in self.tasks for c in t.criteria}

    def task(self, task_id: str) -> Task:
        return next(t for t in self.tasks if t.id == task_id)


def parse(text: str) -> Catalogue:
    data = tomllib.loads(text)
    tasks = []
    for raw in data["task"]:
        criteria = []
        for k, c in enumerate(raw["criteria"], start=1):
            if c["severity"] not in SEVERITIES:
                raise ValueError(f"{raw['id']}/AC{k}: severity {c['severity']!r} is not one of {SEVERITIES}")
            criteria.append(Criterion(f"{raw['id']}/AC{k}", raw["id"], c["text"], c["severity"], c["how"]))
        tasks.append(Task(raw["id"], raw["title"], tuple(criteria)))
    return Catalogue(data["sprint"], tuple(tasks))


@cache
def load() -> Catalogue:
    """The catalogue shipped with the harness."""
    return parse(resources.files("harness.signoff").joinpath("criteria.toml").read_text(encoding="utf-8"))


def is_well_formed(criterion_id: str) -> bool:
    return bool(_ID.match(criterion_id))
