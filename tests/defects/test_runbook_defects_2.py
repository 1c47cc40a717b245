"""Planted defects of the migration rollback runbook (WIL-1.2-004): each fails exactly its criteria.

The suite runs the runbook's own commands; it reads docs/runbooks/ under pytest's rootdir, so a
defective copy of the docs is judged with ``--rootdir`` (tests/defects/runbook_plants.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.defects import runbook_plants
from tests.defects.signoff_expect import expect_failed
from tests.signoff_run import run_signoff

# Inner sign-offs run without -n: in one process the suite is as fast as with two workers and uses half
# the CPU (CI runs tests/ with -n 2).

SUITE = "suites/test_wil_1_2_004_rollback_runbook.py"
TASK = "WIL-1.2-004"
RTO = "test_rollback_rto_measured"


@pytest.mark.parametrize(
    ("plant", "opts", "failed", "message"),
    [
        # down/up are untouched, so the RTO timing (the slow check) is not rerun.
        pytest.param(runbook_plants.without_status_checks, ("-k", f"not {RTO}"), {"AC1"},
                     "never runs `python -m harness migrate status`", id="verify-steps-without-commands"),
        # The copy of the docs is otherwise faithful: the full suite also shows AC1/AC3/AC4/AC5 pass on it.
        pytest.param(runbook_plants.rolls_back_to_base, (), {"AC2"}, "the documented rollback changed the data",
                     id="procedure-rolls-back-to-base"),
        # A command that cannot run gives no RTO either.
        pytest.param(runbook_plants.target_name_typo, (), {"AC2", "AC4"}, "0001_create_job_and_results_table",
                     id="rollback-target-typo"),
        pytest.param(runbook_plants.unmeetable_rto, ("-k", RTO), {"AC4"}, "> RTO objective 0.1 s",
                     id="unmeetable-rto-objective"),
        pytest.param(runbook_plants.index_link_typo, ("-k", "index_links or numbered_steps or data_preservation"),
                     {"AC5"}, "does not link migration-rollback.md", id="index-link-typo"),
    ],
)
def test_defective_runbook(
    tmp_path: Path, plant: Callable[[Path], Path], opts: tuple[str, ...], failed: set[str], message: str
) -> None:
    """The suite, reading a runbook with one defect, fails exactly the named criteria."""
    root = plant(tmp_path / "root")
    report = run_signoff(tmp_path, SUITE, *opts, "--rootdir", str(root))
    expect_failed(report, TASK, failed)
    assert message in str(report["_stdout"]), str(report["_stdout"])[-3000:]


def test_runbook_silent_about_a_new_migration(tmp_path: Path) -> None:
    """A migration added after the runbook was written: its Data preservation table does not say what
    rolling 0003 back does to data (AC3); the procedure itself still works (its down --to rolls 0003 back too)."""
    migrations = runbook_plants.with_new_migration(tmp_path / "migrations")
    report = run_signoff(tmp_path, SUITE, "--migrations-dir", str(migrations))
    expect_failed(report, TASK, {"AC3"})
    assert "0003_add_job_priority" in str(report["_stdout"]), str(report["_stdout"])[-3000:]
