"""The migration runner against a real server (scratch databases): targets, failures, locks, ordering."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from fixtures.dbschema import ScratchDatabase
from harness.db import migrate
from harness.db.migration_files import DEFAULT_DIR

FIRST, SECOND = "0001_create_job_and_result_tables", "0002_add_job_and_result_indexes"
ROOT = Path(__file__).resolve().parents[2]


def _tables(conn: psycopg.Connection[tuple[object, ...]]) -> set[str]:
    rows = conn.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace")
    return {str(r[0]) for r in rows}


def test_targets_status_and_read_only_status(scratch_db: ScratchDatabase) -> None:
    """status creates nothing; up --to stops at the target; down reverts the latest; down --to base reverts all."""
    with migrate.connect(scratch_db.url) as conn:
        assert [s.state for s in migrate.status(conn)] == ["pending", "pending"]
        assert _tables(conn) == set(), "status must not create the history table"
        assert [e.name for e in migrate.up(conn, to=FIRST)] == [FIRST]
        assert [e.name for e in migrate.up(conn)] == [SECOND]
        assert migrate.up(conn) == []
        assert [e.name for e in migrate.down(conn)] == [SECOND]
        with pytest.raises(migrate.TargetError, match="no such migration"):
            migrate.down(conn, to="0009_nothing_here")
        with pytest.raises(migrate.TargetError, match="not applied"):
            migrate.down(conn, to=SECOND)
        assert [e.name for e in migrate.down(conn, to=migrate.BASE)] == [FIRST]
        assert _tables(conn) == {"_migration_history"}


def test_a_failing_migration_leaves_nothing_behind(scratch_db: ScratchDatabase, tmp_path: Path) -> None:
    """A broken up.sql is rolled back whole (no table of it, no history row) and the error names the file."""
    broken = tmp_path / "m"
    shutil.copytree(DEFAULT_DIR, broken)
    (broken / "0003_add_broken_table").mkdir()
    (broken / "0003_add_broken_table" / "up.sql").write_text("CREATE TABLE half_done (id int);\nSELEC broken;\n")
    (broken / "0003_add_broken_table" / "down.sql").write_text("DROP TABLE half_done;\n")
    with migrate.connect(scratch_db.url) as conn:
        with pytest.raises(migrate.MigrationError, match="0003_add_broken_table.*up.sql"):
            migrate.up(conn, broken)
        assert "half_done" not in _tables(conn)
        assert [h.name for h in migrate.history(conn)] == [FIRST, SECOND]


def test_lock_held_elsewhere_times_out(scratch_db: ScratchDatabase) -> None:
    """Another session holding the runner's advisory lock makes a run wait, then fail with a clear message."""
    with scratch_db.connect() as other, migrate.connect(scratch_db.url) as conn:
        other.execute("SELECT pg_advisory_lock(%s)", (migrate.LOCK_KEY,))
        with pytest.raises(migrate.LockTimeout, match="advisory lock"):
            migrate.up(conn, lock_timeout_s=0.3)
        other.execute("SELECT pg_advisory_unlock(%s)", (migrate.LOCK_KEY,))
        assert len(migrate.up(conn)) == 2


def _synthetic(root: Path, *names: str) -> Path:
    for name in names:
        table = name.split("_")[2]
        (root / name).mkdir(parents=True)
        (root / name / "up.sql").write_text(f"CREATE TABLE {table} (id int);\n")
        (root / name / "down.sql").write_text(f"DROP TABLE {table};\n")
    return root


def test_out_of_order_migration_is_refused(scratch_db: ScratchDatabase, tmp_path: Path) -> None:
    """A new migration numbered before an applied one is refused: migrations apply in order."""
    applied = _synthetic(tmp_path / "m", "0001_create_alpha_table", "0003_create_gamma_table")
    with migrate.connect(scratch_db.url) as conn:
        migrate.up(conn, applied)
        _synthetic(applied, "0002_create_beta_table")
        with pytest.raises(migrate.HistoryError, match="0002_create_beta_table is pending but a later"):
            migrate.up(conn, applied)
        assert "beta" not in _tables(conn)


def test_applied_migration_without_its_file_is_refused(scratch_db: ScratchDatabase, tmp_path: Path) -> None:
    """An applied migration whose directory disappeared stops up and down (nothing could revert it)."""
    root = _synthetic(tmp_path / "m", "0001_create_alpha_table", "0002_create_beta_table")
    with migrate.connect(scratch_db.url) as conn:
        migrate.up(conn, root)
        shutil.rmtree(root / "0002_create_beta_table")
        for run in (migrate.up, migrate.down):
            with pytest.raises(migrate.HistoryError, match="0002_create_beta_table have no directory"):
                run(conn, root)


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", "migrate", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)


def test_cli_refuses_pooled_url_and_reports_errors(scratch_db: ScratchDatabase) -> None:
    """The CLI refuses the pooled URL (exit 2), names bad targets (exit 1) and never prints the password."""
    base = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    assert _cli("status", env=base).returncode == 2
    pooled = _cli("up", env={**base, "DATABASE_URL": scratch_db.pool_url, "DATABASE_POOL_URL": scratch_db.pool_url})
    assert pooled.returncode == 2 and "pooled URL" in pooled.stderr
    bad = _cli("down", "--to", "0042_no_such_thing", env={**base, "DATABASE_URL": scratch_db.url})
    assert bad.returncode == 1 and "no such migration" in bad.stderr
    ok = _cli("up", env={**base, "DATABASE_URL": scratch_db.url})
    assert ok.returncode == 0 and "2 migration(s) applied" in ok.stdout
    password = scratch_db.url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    assert all(password not in out for out in (pooled.stderr, bad.stderr, ok.stdout))
