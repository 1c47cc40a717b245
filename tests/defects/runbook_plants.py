"""Defective copies of the operational runbooks, for the WIL-1.2-004 self-tests.

The rollback suite reads ``docs/runbooks/`` under pytest's rootdir, so a self-test copies the
runbooks into ``<root>/docs/runbooks``, plants one defect, and runs the suite with
``--rootdir <root>``. Each function returns ``root``. ``with_new_migration`` plants its defect
in the migration set instead (``--migrations-dir``): the runbook is right but stale.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from harness.db.migration_files import DEFAULT_DIR

ROOT = Path(__file__).resolve().parents[2]
RUNBOOKS = Path("docs/runbooks")
ROLLBACK = RUNBOOKS / "migration-rollback.md"
INDEX = RUNBOOKS / "README.md"
TO_PREVIOUS = "python -m harness migrate down --to 0001_create_job_and_result_tables"


def copy_docs(root: Path) -> Path:
    """``root/docs/runbooks``: a faithful copy of the project's runbooks."""
    shutil.copytree(ROOT / RUNBOOKS, root / RUNBOOKS)
    return root


def _edit(path: Path, old: str, new: str, *, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"nothing to plant in {path}: {old!r} found {text.count(old)} times"
    path.write_text(text.replace(old, new), encoding="utf-8")


def without_status_checks(root: Path) -> Path:
    """The check steps say "check the status" in prose but their `migrate status` commands are gone."""
    copy_docs(root)
    _edit(root / ROLLBACK, "   python -m harness migrate status\n", "", count=3)
    return root


def rolls_back_to_base(root: Path) -> Path:
    """The procedure rolls back with `down --to base` (an older runbook's full reset): data is destroyed."""
    copy_docs(root)
    _edit(root / ROLLBACK, f"   {TO_PREVIOUS}\n", "   python -m harness migrate down --to base\n")
    return root


def target_name_typo(root: Path) -> Path:
    """The rollback target is misspelled (`results_table`): the documented command cannot run."""
    copy_docs(root)
    _edit(root / ROLLBACK, f"   {TO_PREVIOUS}\n",
          "   python -m harness migrate down --to 0001_create_job_and_results_table\n")
    return root


def unmeetable_rto(root: Path) -> Path:
    """The stated objective is the SQL time of the index drop (psql \\timing), not the procedure's."""
    copy_docs(root)
    _edit(root / ROLLBACK, "**RTO objective: 60 s**", "**RTO objective: 0.1 s**")
    return root


def index_link_typo(root: Path) -> Path:
    """The runbook index links `migration_rollback.md` (underscore): a dead link."""
    copy_docs(root)
    _edit(root / INDEX, "(migration-rollback.md)", "(migration_rollback.md)")
    return root


def with_new_migration(dest: Path) -> Path:
    """The reference migrations plus 0003 (a column with a default); the runbook never mentions it."""
    shutil.copytree(DEFAULT_DIR, dest, ignore=shutil.ignore_patterns("__pycache__"))
    new = dest / "0003_add_job_priority"
    new.mkdir()
    (new / "up.sql").write_text('-- 0003 up: job priority.\n\nALTER TABLE "Job" ADD COLUMN priority integer '
                                'NOT NULL DEFAULT 0;\n', encoding="utf-8")
    (new / "down.sql").write_text('-- 0003 down: drops the priority column and its values.\n\n'
                                  'ALTER TABLE "Job" DROP COLUMN priority;\n', encoding="utf-8")
    return dest
