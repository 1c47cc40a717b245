"""Planted defects in the migration set are caught by exactly the criteria that should catch them."""

from __future__ import annotations

from pathlib import Path

from tests.defects import dbschema_plants
from tests.signoff_run import run_signoff, statuses, with_status

S003 = "suites/test_wil_1_2_003_migrations.py"
S004 = "suites/test_wil_1_2_004_rollback_runbook.py"
S013 = "suites/test_wil_1_2_013_crud.py"
S015 = "suites/test_wil_1_2_015_indexes.py"
PARALLEL = ("-n", "2")


def test_missing_created_at_index(tmp_path: Path) -> None:
    """Without the created-at indexes: 003/AC4 and 015/AC2 fail, and 015/AC4 too, because the query shapes
    `ORDER BY "createdAt" DESC LIMIT 20` and `WHERE created_at >= $1` lose their index (seq scan + sort).
    CRUD (013) does not depend on those indexes and passes."""
    bad = dbschema_plants.without_created_at_index(tmp_path / "migrations")
    report = run_signoff(tmp_path, S003, S013, S015, "--migrations-dir", str(bad), *PARALLEL)
    assert with_status(report, "WIL-1.2-003", "failed") == {"AC4"}, statuses(report, "WIL-1.2-003")
    assert with_status(report, "WIL-1.2-015", "failed") == {"AC2", "AC4"}, statuses(report, "WIL-1.2-015")
    assert with_status(report, "WIL-1.2-003", "passed") == {"AC1", "AC2", "AC3", "AC5", "AC6"}
    assert with_status(report, "WIL-1.2-015", "passed") == {"AC1", "AC3", "AC5"}
    assert set(statuses(report, "WIL-1.2-013").values()) == {"passed"}, statuses(report, "WIL-1.2-013")


def test_down_leaves_an_enum_type_behind(tmp_path: Path) -> None:
    """A down migration that forgets DROP TYPE fails the round trip (003/AC5) and nothing else: the runbook's
    rollback (004) only reverts the latest migration (013/015 only apply migrations, so they are not run)."""
    bad = dbschema_plants.down_leaves_enum_behind(tmp_path / "migrations")
    report = run_signoff(tmp_path, S003, S004, "--migrations-dir", str(bad), *PARALLEL)
    assert with_status(report, "WIL-1.2-003", "failed") == {"AC5"}, statuses(report, "WIL-1.2-003")
    assert with_status(report, "WIL-1.2-003", "passed") == {"AC1", "AC2", "AC3", "AC4", "AC6"}
    assert "result_format" in report["_stdout"] or "result_format" in str(report["tasks"])
    assert set(statuses(report, "WIL-1.2-004").values()) == {"passed"}, statuses(report, "WIL-1.2-004")
