"""Planted defects in the migration set, second batch: every criterion of WIL-1.2-003 (AC1-AC3, AC6),
WIL-1.2-013 (AC1-AC6) and WIL-1.2-015 (AC1, AC3, AC5) is seen to FAIL, and only the criteria that should.

Each test copies the reference migrations, plants one mistake (tests/defects/dbschema_plants_2.py) and runs
the real suites against it with ``--migrations-dir``; it asserts the exact set of failed criteria of every
task it ran, and that the rest passed.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.infra import LocalStack, LocalStackOptions, PrerequisiteMissing, ServerStartError
from harness.infra.external import write_env_file
from harness.signoff.redact import register_secret
from tests.defects import dbschema_plants_2 as plants
from tests.signoff_run import run_signoff, statuses, with_status

# Inner sign-offs run without -n: these suites take a few seconds, and two more interpreters cost more
# than they save.

S003 = "suites/test_wil_1_2_003_migrations.py"
S013 = "suites/test_wil_1_2_013_crud.py"
S015 = "suites/test_wil_1_2_015_indexes.py"
ALL = {"WIL-1.2-003": {f"AC{i}" for i in range(1, 7)}, "WIL-1.2-013": {f"AC{i}" for i in range(1, 7)},
       "WIL-1.2-015": {f"AC{i}" for i in range(1, 6)}}
SUITE_TASK = {S003: "WIL-1.2-003", S013: "WIL-1.2-013", S015: "WIL-1.2-015"}


def _started(tmp: Path, options: LocalStackOptions) -> tuple[LocalStack, Path]:
    """A started local stack and its .env file (the inner runs read it with --env-file)."""
    local = LocalStack(options)
    try:
        stack = local.start()
    except (PrerequisiteMissing, ServerStartError) as exc:
        local.stop()
        shutil.rmtree(local.root, ignore_errors=True)
        pytest.skip(f"cannot start a local stack here: {exc}")
    register_secret(*stack.secrets())
    env_file = tmp / "stack.env"
    write_env_file(stack, env_file)
    return local, env_file


@pytest.fixture(scope="module")
def stack_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One reference stack for this module's runs (per xdist worker): every inner run works in scratch
    databases of its own, so sharing the servers saves a stack start-up per run and changes nothing judged."""
    local, env_file = _started(tmp_path_factory.mktemp("dbschema-stack"), LocalStackOptions())
    try:
        yield env_file
    finally:
        local.stop()
        shutil.rmtree(local.root, ignore_errors=True)


def _judge(tmp_path: Path, env_file: Path, plant: Callable[[Path], Path], *suites: str) -> dict[str, Any]:
    bad = plant(tmp_path / "migrations")
    return run_signoff(tmp_path, *suites, "--migrations-dir", str(bad), "--env-file", str(env_file),
                       "--allow-destructive")


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


def _check(tmp_path: Path, env_file: Path, plant: Callable[[Path], Path], suites: tuple[str, ...],
           failed: dict[str, set[str]], errors: dict[str, set[str]] | None = None) -> dict[str, Any]:
    report = _judge(tmp_path, env_file, plant, *suites)
    _expect(report, suites, failed, errors)
    return report


def _why(report: dict[str, Any], criterion: str) -> str:
    """The recorded reasons of one criterion (``WIL-1.2-NNN/ACk``): checks that it failed for the planted cause."""
    task = next(t for t in report["tasks"] if t["id"] == criterion.split("/")[0])
    return "\n".join(str(r) for c in task["criteria"] if c["id"] == criterion for r in c["reasons"])


# --- WIL-1.2-003 -------------------------------------------------------------------------------------------

def test_vague_migration_name(tmp_path: Path, stack_env: Path) -> None:
    """``0002_update_schema`` is well formed but says nothing: 003/AC1 fails, everything else passes."""
    report = _check(tmp_path, stack_env, plants.vague_migration_name, (S003,), {"WIL-1.2-003": {"AC1"}})
    assert "'0002_update_schema' uses only vague words" in _why(report, "WIL-1.2-003/AC1")


def test_migration_that_cannot_apply(tmp_path: Path, stack_env: Path) -> None:
    """Result created before the Job it references: 003/AC2 fails, and with it every check that needs the
    migrated schema (AC5/AC6 fail in their own test, AC3/AC4 error in the shared migrated_db fixture)."""
    report = _check(tmp_path, stack_env, plants.result_created_before_job, (S003,),
                    {"WIL-1.2-003": {"AC2", "AC5", "AC6"}}, {"WIL-1.2-003": {"AC3", "AC4"}})
    assert 'relation "Job" does not exist' in _why(report, "WIL-1.2-003/AC2")


def test_migration_that_prunes_the_history(tmp_path: Path, stack_env: Path) -> None:
    """A migration that disables the append-only guard and deletes rolled-back events: only 003/AC6 fails
    (the schema round trip of AC5 is intact; the history is not)."""
    report = _check(tmp_path, stack_env, plants.migration_prunes_history, (S003,), {"WIL-1.2-003": {"AC6"}})
    assert "history is not the appended event sequence" in _why(report, "WIL-1.2-003/AC6")


def test_enum_label_missing(tmp_path: Path, stack_env: Path) -> None:
    """result_format without 'HTML': 003/AC3 (enum labels from the catalog) fails, nothing else."""
    report = _check(tmp_path, stack_env, plants.enum_label_missing, (S003,), {"WIL-1.2-003": {"AC3"}})
    assert "enum public.result_format: expected labels ['MARKDOWN', 'JSON', 'HTML']" in _why(report, "WIL-1.2-003/AC3")


# --- WIL-1.2-013 -------------------------------------------------------------------------------------------

def test_timestamps_without_time_zone(tmp_path: Path, stack_env: Path) -> None:
    """timestamp(3) without time zone: 003/AC3 (column types) and 013/AC1 (createdAt is not an instant
    comparable with the server's now()) fail."""
    report = _check(tmp_path, stack_env, plants.timestamps_without_time_zone, (S003, S013),
                    {"WIL-1.2-003": {"AC3"}, "WIL-1.2-013": {"AC1"}})
    assert "timestamp(3) without time zone" in _why(report, "WIL-1.2-003/AC3")
    assert "offset-naive and offset-aware" in _why(report, "WIL-1.2-013/AC1")


def test_row_rewritten_after_insert(tmp_path: Path, stack_env: Path) -> None:
    """An AFTER INSERT trigger rewrites "fileType": reads differ from what INSERT ... RETURNING reported
    (013/AC2), and so does the update check's starting row (013/AC3)."""
    report = _check(tmp_path, stack_env, plants.file_type_normalised_after_insert, (S013,),
                    {"WIL-1.2-013": {"AC2", "AC3"}})
    assert "'fileType': 'pdf'" in _why(report, "WIL-1.2-013/AC2")


def test_update_with_a_side_effect(tmp_path: Path, stack_env: Path) -> None:
    """Updating status also bumps retryCount (a retry counter that fires on the first start): only 013/AC3."""
    report = _check(tmp_path, stack_env, plants.retry_counted_on_first_start, (S013,), {"WIL-1.2-013": {"AC3"}})
    assert "retryCount" in _why(report, "WIL-1.2-013/AC3")


def test_foreign_key_without_on_delete_cascade(tmp_path: Path, stack_env: Path) -> None:
    """Deleting a Job with Results is refused: 013/AC4 fails, and 003/AC3 names the missing ON DELETE CASCADE."""
    report = _check(tmp_path, stack_env, plants.foreign_key_without_cascade, (S003, S013),
                    {"WIL-1.2-003": {"AC3"}, "WIL-1.2-013": {"AC4"}})
    assert "ON DELETE CASCADE" in _why(report, "WIL-1.2-003/AC3")
    assert "ForeignKeyViolation" in _why(report, "WIL-1.2-013/AC4")


def test_no_foreign_key(tmp_path: Path, stack_env: Path) -> None:
    """No foreign key at all (relations emulated by the client): a Result of a missing job is accepted, so the
    failing transaction commits (013/AC5); deletes do not cascade (013/AC4); 003/AC3 and 015/AC5 see no FK."""
    report = _check(tmp_path, stack_env, plants.no_foreign_key, (S003, S013, S015),
                    {"WIL-1.2-003": {"AC3"}, "WIL-1.2-013": {"AC4", "AC5"}, "WIL-1.2-015": {"AC5"}})
    assert "DID NOT RAISE" in _why(report, "WIL-1.2-013/AC5")
    assert "no foreign key found" in _why(report, "WIL-1.2-015/AC5")


def test_statement_pooling_breaks_transactions(tmp_path: Path) -> None:
    """The reference migrations behind PgBouncer in statement mode: every transaction block is refused on the
    pooled path, so only 013/AC5 (commit/rollback) fails; single statements and concurrency still work."""
    local, env_file = _started(tmp_path, LocalStackOptions(pool_mode="statement"))
    try:
        report = _check(tmp_path, env_file, plants.reference, (S013,), {"WIL-1.2-013": {"AC5"}})
    finally:
        local.stop()
        shutil.rmtree(local.root, ignore_errors=True)
    out = str(report["_stdout"])
    assert "FAILED suites/test_wil_1_2_013_crud.py::test_commit_persists_and_rollback_leaves_nothing[pooled]" in out
    assert "test_commit_persists_and_rollback_leaves_nothing[direct]" not in out, "the direct path has no pooler"
    assert "statement pooling" in _why(report, "WIL-1.2-013/AC5")


def test_serializable_default_without_retries(tmp_path: Path, stack_env: Path) -> None:
    """SERIALIZABLE by default and no retries: concurrent increments of one row fail (013/AC6), nothing else."""
    report = _check(tmp_path, stack_env, plants.serializable_without_retries, (S013,), {"WIL-1.2-013": {"AC6"}})
    assert "could not serialize access" in _why(report, "WIL-1.2-013/AC6")


# --- WIL-1.2-015 -------------------------------------------------------------------------------------------

def test_missing_job_id_index(tmp_path: Path, stack_env: Path) -> None:
    """Without "Result"(job_id): 015/AC1 (index), AC4 (the results-of-a-job plan) and AC5 (the foreign key is
    uncovered) fail, and 003/AC4 (indexes on job_id, created_at)."""
    report = _check(tmp_path, stack_env, plants.without_job_id_index, (S003, S015),
                    {"WIL-1.2-003": {"AC4"}, "WIL-1.2-015": {"AC1", "AC4", "AC5"}})
    assert 'no index on "Result" leads with "job_id"' in _why(report, "WIL-1.2-015/AC1")
    assert "Result_job_id_fkey" in _why(report, "WIL-1.2-015/AC5")


def test_missing_session_id_index(tmp_path: Path, stack_env: Path) -> None:
    """Without "Job"("sessionId"): 015/AC3 and the jobs-of-a-session plan (015/AC4) fail."""
    report = _check(tmp_path, stack_env, plants.without_session_id_index, (S015,), {"WIL-1.2-015": {"AC3", "AC4"}})
    assert 'no index on "Job" leads with "sessionId"' in _why(report, "WIL-1.2-015/AC3")


def test_new_foreign_key_without_index(tmp_path: Path, stack_env: Path) -> None:
    """A later migration adds "retryOfId" -> "Job" without an index: only 015/AC5 fails."""
    report = _check(tmp_path, stack_env, plants.retry_of_without_index, (S015,), {"WIL-1.2-015": {"AC5"}})
    assert "Job_retryOfId_fkey" in _why(report, "WIL-1.2-015/AC5")
