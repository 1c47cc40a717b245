"""Planted defects in the migration set, second batch: every criterion of WIL-1.2-003 (AC1-AC3, AC6),
WIL-1.2-013 (AC1-AC6) and WIL-1.2-015 (AC1, AC3, AC5) is seen to FAIL, and only the criteria that should.

Each test copies the reference migrations, plants one mistake (tests/defects/dbschema_plants_2.py) and runs
the real suites against it with ``--migrations-dir``; it asserts the exact set of failed criteria of every
task it ran, and that the rest passed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.defects import dbschema_plants_2 as plants
from tests.signoff_run import run_signoff, statuses, with_status

S003 = "suites/test_wil_1_2_003_migrations.py"
S013 = "suites/test_wil_1_2_013_crud.py"
S015 = "suites/test_wil_1_2_015_indexes.py"
ALL = {"WIL-1.2-003": {f"AC{i}" for i in range(1, 7)}, "WIL-1.2-013": {f"AC{i}" for i in range(1, 7)},
       "WIL-1.2-015": {f"AC{i}" for i in range(1, 6)}}
SUITE_TASK = {S003: "WIL-1.2-003", S013: "WIL-1.2-013", S015: "WIL-1.2-015"}
# See tests/defects/test_dbschema_defects.py: run_signoff's cache_dir option trips filterwarnings=error.
OPTIONS = ("-W", "ignore::pytest.PytestConfigWarning", "-n", "2")


def _judge(tmp_path: Path, plant: Callable[[Path], Path], *suites: str) -> dict[str, Any]:
    bad = plant(tmp_path / "migrations")
    return run_signoff(tmp_path, *suites, "--migrations-dir", str(bad), *OPTIONS)


def _expect(report: dict[str, Any], suites: tuple[str, ...], failed: dict[str, set[str]],
            errors: dict[str, set[str]] | None = None) -> None:
    """Exactly ``failed`` (and ``errors``) per task of the suites run; every other criterion passed."""
    for suite in suites:
        task = SUITE_TASK[suite]
        seen = statuses(report, task)
        want_failed, want_error = failed.get(task, set()), (errors or {}).get(task, set())
        assert with_status(report, task, "failed") == want_failed, (task, seen)
        assert with_status(report, task, "error") == want_error, (task, seen)
        assert with_status(report, task, "passed") == ALL[task] - want_failed - want_error, (task, seen)


def _check(tmp_path: Path, plant: Callable[[Path], Path], suites: tuple[str, ...], failed: dict[str, set[str]],
           errors: dict[str, set[str]] | None = None) -> dict[str, Any]:
    report = _judge(tmp_path, plant, *suites)
    _expect(report, suites, failed, errors)
    return report


# --- WIL-1.2-003 -------------------------------------------------------------------------------------------

def test_vague_migration_name(tmp_path: Path) -> None:
    """``0002_update_schema`` is well formed but says nothing: 003/AC1 fails, everything else passes."""
    _check(tmp_path, plants.vague_migration_name, (S003,), {"WIL-1.2-003": {"AC1"}})


def test_migration_that_cannot_apply(tmp_path: Path) -> None:
    """Result created before the Job it references: 003/AC2 fails, and with it every check that needs the
    migrated schema (AC5/AC6 fail in their own test, AC3/AC4 error in the shared migrated_db fixture)."""
    report = _check(tmp_path, plants.result_created_before_job, (S003,),
                    {"WIL-1.2-003": {"AC2", "AC5", "AC6"}}, {"WIL-1.2-003": {"AC3", "AC4"}})
    assert 'relation "Job" does not exist' in str(report["tasks"])


def test_migration_that_prunes_the_history(tmp_path: Path) -> None:
    """A migration that disables the append-only guard and deletes rolled-back events: only 003/AC6 fails
    (the schema round trip of AC5 is intact; the history is not)."""
    _check(tmp_path, plants.migration_prunes_history, (S003,), {"WIL-1.2-003": {"AC6"}})


def test_enum_label_missing(tmp_path: Path) -> None:
    """result_format without 'HTML': 003/AC3 (enum labels from the catalog) fails, nothing else."""
    report = _check(tmp_path, plants.enum_label_missing, (S003,), {"WIL-1.2-003": {"AC3"}})
    assert "public.result_format" in str(report["tasks"])


# --- WIL-1.2-013 -------------------------------------------------------------------------------------------

def test_timestamps_without_time_zone(tmp_path: Path) -> None:
    """timestamp(3) without time zone: 003/AC3 (column types) and 013/AC1 (createdAt is not an instant
    comparable with the server's now()) fail."""
    _check(tmp_path, plants.timestamps_without_time_zone, (S003, S013),
           {"WIL-1.2-003": {"AC3"}, "WIL-1.2-013": {"AC1"}})


def test_row_rewritten_after_insert(tmp_path: Path) -> None:
    """An AFTER INSERT trigger rewrites "fileType": reads differ from what INSERT ... RETURNING reported
    (013/AC2), and so does the update check's starting row (013/AC3). The schema checks (003) pass."""
    _check(tmp_path, plants.file_type_normalised_after_insert, (S003, S013), {"WIL-1.2-013": {"AC2", "AC3"}})


def test_update_with_a_side_effect(tmp_path: Path) -> None:
    """Updating status also bumps retryCount (a retry counter that fires on the first start): only 013/AC3."""
    _check(tmp_path, plants.retry_counted_on_first_start, (S013,), {"WIL-1.2-013": {"AC3"}})


def test_foreign_key_without_on_delete_cascade(tmp_path: Path) -> None:
    """Deleting a Job with Results is refused: 013/AC4 fails, and 003/AC3 names the missing ON DELETE CASCADE."""
    _check(tmp_path, plants.foreign_key_without_cascade, (S003, S013),
           {"WIL-1.2-003": {"AC3"}, "WIL-1.2-013": {"AC4"}})


def test_no_foreign_key(tmp_path: Path) -> None:
    """No foreign key at all (relations emulated by the client): a Result of a missing job is accepted, so the
    failing transaction commits (013/AC5); deletes do not cascade (013/AC4); 003/AC3 and 015/AC5 see no FK."""
    _check(tmp_path, plants.no_foreign_key, (S003, S013, S015),
           {"WIL-1.2-003": {"AC3"}, "WIL-1.2-013": {"AC4", "AC5"}, "WIL-1.2-015": {"AC5"}})


def test_serializable_default_without_retries(tmp_path: Path) -> None:
    """SERIALIZABLE by default and no retries: concurrent increments of one row fail (013/AC6), nothing else."""
    report = _check(tmp_path, plants.serializable_without_retries, (S013,), {"WIL-1.2-013": {"AC6"}})
    assert "could not serialize access" in str(report["tasks"]) + report["_stdout"]


# --- WIL-1.2-015 -------------------------------------------------------------------------------------------

def test_missing_job_id_index(tmp_path: Path) -> None:
    """Without "Result"(job_id): 015/AC1 (index), AC4 (the results-of-a-job plan) and AC5 (the foreign key is
    uncovered) fail, and 003/AC4 (indexes on job_id, created_at)."""
    _check(tmp_path, plants.without_job_id_index, (S003, S015),
           {"WIL-1.2-003": {"AC4"}, "WIL-1.2-015": {"AC1", "AC4", "AC5"}})


def test_missing_session_id_index(tmp_path: Path) -> None:
    """Without "Job"("sessionId"): 015/AC3 and the jobs-of-a-session plan (015/AC4) fail."""
    _check(tmp_path, plants.without_session_id_index, (S015,), {"WIL-1.2-015": {"AC3", "AC4"}})


def test_new_foreign_key_without_index(tmp_path: Path) -> None:
    """A later migration adds "retryOfId" -> "Job" without an index: only 015/AC5 fails."""
    report = _check(tmp_path, plants.retry_of_without_index, (S015,), {"WIL-1.2-015": {"AC5"}})
    assert "Job_retryOfId_fkey" in str(report["tasks"])
