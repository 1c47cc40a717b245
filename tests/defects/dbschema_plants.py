"""Defective copies of the reference migration set, for the WIL-1.2-003/004/013/015 self-tests.

Each function copies harness/db/migrations to ``dest`` and plants one defect, returning ``dest``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from harness.db.migration_files import DEFAULT_DIR

INDEXES = "0002_add_job_and_result_indexes"
TABLES = "0001_create_job_and_result_tables"


def _copy(dest: Path) -> Path:
    shutil.copytree(DEFAULT_DIR, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def _drop_lines(path: Path, *needles: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    kept = [line for line in lines if not any(n in line for n in needles)]
    assert len(kept) < len(lines), f"nothing to plant in {path}: {needles} not found"
    path.write_text("".join(kept))


def without_created_at_index(dest: Path) -> Path:
    """The index migration forgets the created-at indexes (up and down stay consistent with each other)."""
    _copy(dest)
    for script in ("up.sql", "down.sql"):
        _drop_lines(dest / INDEXES / script, "createdAt_idx", "created_at_idx")
    return dest


def down_leaves_enum_behind(dest: Path) -> Path:
    """The table migration's down drops the tables but forgets one enum type (a classic)."""
    _copy(dest)
    _drop_lines(dest / TABLES / "down.sql", "DROP TYPE result_format")
    return dest
