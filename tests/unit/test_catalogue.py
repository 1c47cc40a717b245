"""The catalogue is the plan's criteria, verbatim, with stable ids."""

import re
from pathlib import Path

from harness.signoff import catalogue

PLAN = Path(__file__).resolve().parents[2] / "docs" / "sprint-1.2-database-redis.md"


def plan_criteria() -> dict[str, list[str]]:
    """Parse '## Task X' sections and their '- [ ] ...' acceptance criteria."""
    found: dict[str, list[str]] = {}
    task = None
    in_criteria = False
    for line in PLAN.read_text().splitlines():
        m = re.match(r"^## Task (WIL-1\.2-\d{3}):", line)
        if m:
            task, in_criteria = m.group(1), False
            found[task] = []
        elif line.startswith("### "):
            in_criteria = line.strip() == "### Acceptance Criteria"
        elif in_criteria and task and line.startswith("- [ ] "):
            found[task].append(line[len("- [ ] "):])
    return found


def test_every_task_and_criterion_of_the_plan_is_catalogued_verbatim() -> None:
    """Same tasks, same order, same criterion texts as the sprint plan."""
    cat = catalogue.load()
    expected = plan_criteria()
    assert [t.id for t in cat.tasks] == list(expected)
    for task in cat.tasks:
        assert [c.text for c in task.criteria] == expected[task.id], task.id


def test_ids_are_stable_and_well_formed() -> None:
    """WIL-1.2-NNN/ACk, k counting from 1 in plan order."""
    cat = catalogue.load()
    for task in cat.tasks:
        for k, c in enumerate(task.criteria, start=1):
            assert c.id == f"{task.id}/AC{k}"
            assert catalogue.is_well_formed(c.id)
    assert len(cat.by_id) == sum(len(t.criteria) for t in cat.tasks) == 90


def test_task_markers() -> None:
    """Task markers are valid identifiers usable with -m."""
    assert catalogue.load().task("WIL-1.2-005").marker == "wil_1_2_005"
