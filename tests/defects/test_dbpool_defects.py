"""Planted defects of the DB pool, PgBouncer and backup layers: each must fail exactly its criteria.

Pattern: run the sign-off on one suite with a defective implementation (``--impl``) or
against a defective disposable stack (``--env-file``), then compare the criterion statuses.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.infra import LocalStack
from harness.infra.external import write_env_file
from tests.signoff_run import run_signoff, statuses, with_status

POOL_SUITE = "suites/test_wil_1_2_002_db_pool.py"
BOUNCER_SUITE = "suites/test_wil_1_2_012_pgbouncer.py"
BACKUP_SUITE = "suites/test_wil_1_2_016_backup.py"
OPTS = ("-n", "2")


def _expect(report: dict[str, Any], task: str, failed: set[str]) -> None:
    got = statuses(report, task)
    assert with_status(report, task, "failed") == failed, f"{task}: {got}\n{str(report['_stdout'])[-3000:]}"
    assert set(got) - failed == with_status(report, task, "passed"), f"{task}: {got}"


def test_pool_without_max_size_fails_only_the_limit(tmp_path: Path) -> None:
    """psycopg_pool's max_size defaults to min_size (4): pool_max != 10 (AC2)."""
    report = run_signoff(tmp_path, POOL_SUITE, *OPTS, "--impl", "db_pool=tests.defects.dbpool_impls:get_pool_unbounded")
    _expect(report, "WIL-1.2-002", {"AC2"})


def test_statement_timeout_as_startup_option_fails_the_query_timeout(
    tmp_path: Path, disposable_stack: Callable[..., LocalStack]
) -> None:
    """No role setting, `options=-c statement_timeout` instead: PgBouncer 1.18 refuses the pooled path (AC4)."""
    local = disposable_stack(statement_timeout=None)
    assert local.stack is not None
    env_file = tmp_path / "stack.env"
    write_env_file(local.stack, env_file)
    report = run_signoff(tmp_path, POOL_SUITE, *OPTS, "--env-file", str(env_file),
                         "--impl", "db_pool=tests.defects.dbpool_impls:get_pool_startup_options")
    _expect(report, "WIL-1.2-002", {"AC4"})
    out = str(report["_stdout"])
    assert "FAILED suites/test_wil_1_2_002_db_pool.py::test_statement_timeout_in_effect_on_the_pooled_path" in out
    assert "test_statement_timeout_in_effect_on_the_direct_path" not in out, "options do work on the direct path"


def test_session_pooling_fails_the_transaction_mode_check(
    tmp_path: Path, disposable_stack: Callable[..., LocalStack]
) -> None:
    """PgBouncer in session mode: AC2 fails, and AC5 too (the runbook documents transaction mode)."""
    local = disposable_stack(pool_mode="session")
    assert local.stack is not None
    env_file = tmp_path / "stack.env"
    write_env_file(local.stack, env_file)
    report = run_signoff(tmp_path, BOUNCER_SUITE, *OPTS, "--env-file", str(env_file))
    _expect(report, "WIL-1.2-012", {"AC2", "AC5"})


def test_backup_without_pipefail_is_caught(tmp_path: Path) -> None:
    """The plan's script: a failed dump leaves a 'backup' (AC1); gunzip -t passes a truncated dump (AC3)."""
    report = run_signoff(tmp_path, BACKUP_SUITE, *OPTS, "--impl", "backup=tests.defects.backup_impls:NO_PIPEFAIL")
    _expect(report, "WIL-1.2-016", {"AC1", "AC3"})


def test_backup_retention_by_find_mtime_is_caught(tmp_path: Path) -> None:
    """`find -mtime +7` keeps 7d+1min files and deletes the newest old backup (AC5)."""
    report = run_signoff(tmp_path, BACKUP_SUITE, *OPTS, "--impl", "backup=tests.defects.backup_impls:FIND_MTIME")
    _expect(report, "WIL-1.2-016", {"AC5"})
