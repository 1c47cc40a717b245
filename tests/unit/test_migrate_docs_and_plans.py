"""Pure logic: runbook parsing (executable documentation) and EXPLAIN plan walking."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.db.indexes import index_nodes, node_summary
from harness.db.runbook import procedure_steps, section, stated_seconds

ROOT = Path(__file__).resolve().parents[2]

SAMPLE = """# Runbook

**RTO objective: 45 s**

## Procedure

1. Stop the app (`python -m harness migrate status` inline does not count).
2. Record:

   ```bash
   python -m harness migrate status
   ```

3. Roll back:

   ```bash
   # a comment
   python -m harness migrate down --to 0001_x
   ```

## Other

```bash
python -m harness migrate down --to base
```
"""


def test_steps_carry_only_their_fenced_commands() -> None:
    """Inline code and other sections are ignored; commands belong to the step above them."""
    steps = procedure_steps(SAMPLE)
    assert [(s.number, s.commands) for s in steps] == [
        (1, ()), (2, ("python -m harness migrate status",)), (3, ("python -m harness migrate down --to 0001_x",))]
    assert "down --to base" in section(SAMPLE, "Other") and section(SAMPLE, "Missing") == ""


def test_stated_objective_is_read() -> None:
    assert stated_seconds(SAMPLE, "RTO objective") == 45.0
    assert stated_seconds("no objective here", "RTO objective") is None


def test_stated_objective_units_and_unreadable_lines() -> None:
    assert stated_seconds("RTO objective: 500 ms", "RTO objective") == 0.5
    assert stated_seconds("**RTO objective:** 2 min", "RTO objective") == 120.0
    with pytest.raises(ValueError, match="cannot read the duration"):
        stated_seconds("RTO objective: as fast as possible", "RTO objective")


def test_shipped_runbook_procedure_runs_down_then_up() -> None:
    """The real runbook: steps 1..n, a down before the last up, an objective stated."""
    text = (ROOT / "docs/runbooks/migration-rollback.md").read_text()
    steps = procedure_steps(text)
    assert [s.number for s in steps] == list(range(1, len(steps) + 1))
    verbs = [c.split()[4] for s in steps for c in s.commands]
    assert "down" in verbs and verbs[-2:] == ["up", "status"]
    assert stated_seconds(text, "RTO objective") == 60.0


BITMAP_PLAN = {
    "Node Type": "Bitmap Heap Scan", "Relation Name": "Job", "Actual Rows": 10,
    "Plans": [{"Node Type": "Bitmap Index Scan", "Index Name": "Job_sessionId_idx", "Actual Rows": 10}],
}


def test_bitmap_plans_name_the_index_on_the_child() -> None:
    """The heap node has no index name; the child Bitmap Index Scan does."""
    nodes = index_nodes(BITMAP_PLAN)
    assert [(n["node"], n["index"]) for n in nodes] == [("Bitmap Index Scan", "Job_sessionId_idx")]
    assert node_summary(BITMAP_PLAN)[1].startswith("  Bitmap Index Scan Index Name=Job_sessionId_idx")


def test_seq_scan_has_no_index_nodes() -> None:
    plan = {"Node Type": "Limit", "Plans": [{"Node Type": "Sort", "Plans": [{"Node Type": "Seq Scan"}]}]}
    assert index_nodes(plan) == []
