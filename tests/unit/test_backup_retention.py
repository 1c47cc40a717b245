"""Retention selection with an injected clock, and prune on real files (no sleeping)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from harness.db.retention import DAY_S, BackupFile, backup_pattern, expired, prune

NOW = 1_800_000_000.0
DB = "docling_db"


def named(age_s: float, n: int = 0) -> BackupFile:
    return BackupFile(f"{DB}_2027{n:04d}_{n:06d}.sql.gz", NOW - age_s)


def test_exact_seven_day_boundary() -> None:
    """Older than 7 x 86400 s goes; at or under stays (find -mtime +7 would keep 7d+1min)."""
    files = [named(7 * DAY_S - 3600, 1), named(7 * DAY_S, 2), named(7 * DAY_S + 60, 3), named(8 * DAY_S, 4)]
    assert expired(files, DB, NOW) == sorted([files[2].name, files[3].name])


def test_newest_is_kept_even_when_everything_is_old() -> None:
    files = [named(8 * DAY_S, 1), named(9 * DAY_S, 2), named(30 * DAY_S, 3)]
    assert expired(files, DB, NOW) == sorted([files[1].name, files[2].name])


def test_only_the_backup_pattern_is_touched() -> None:
    old = NOW - 30 * DAY_S
    files = [BackupFile(n, old) for n in ("notes.txt", "other_20200101_000000.sql.gz", f"{DB}_latest.sql.gz",
                                          f"{DB}_20200101_000000.sql.gz.partial", f"{DB}_20200101_000000.sql")]
    files += [named(DAY_S, 9)]
    assert expired(files, DB, NOW) == []


def test_pattern_escapes_the_database_name() -> None:
    assert backup_pattern("a.b").match("a.b_20260101_000000.sql.gz")
    assert not backup_pattern("a.b").match("axb_20260101_000000.sql.gz")


@given(st.lists(st.floats(min_value=0, max_value=60 * DAY_S), min_size=1, max_size=30))
def test_properties(ages: list[float]) -> None:
    """Never the newest; only files past the cutoff; every file past the cutoff except the newest."""
    files = [named(age, i) for i, age in enumerate(ages)]
    gone = set(expired(files, DB, NOW))
    newest = max(files, key=lambda f: (f.mtime, f.name))
    assert newest.name not in gone
    assert gone == {f.name for f in files if f.mtime < NOW - 7 * DAY_S and f is not newest}


def test_prune_deletes_files_and_their_logs(tmp_path: Path) -> None:
    keep, old = tmp_path / f"{DB}_20270101_000000.sql.gz", tmp_path / f"{DB}_20260101_000000.sql.gz"
    for path, age in ((keep, DAY_S), (old, 10 * DAY_S)):
        path.write_bytes(b"x")
        os.utime(path, (NOW - age, NOW - age))
    (tmp_path / f"{old.name}.verify.log").write_text("log")
    sub = tmp_path / f"{DB}_20200101_000000.sql.gz"  # a directory with a backup name is not a backup
    sub.mkdir()
    assert prune(tmp_path, DB, now=NOW, dry_run=True) == [old] and old.exists()
    assert prune(tmp_path, DB, now=NOW) == [old]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([keep.name, sub.name])


ROOT = Path(__file__).resolve().parents[2]


def test_operator_wrapper_is_strict_and_reaches_the_cli(tmp_path: Path) -> None:
    """scripts/backup.sh: executable, `set -euo pipefail`, and `location` answers BACKUP_DIR."""
    script = ROOT / "scripts" / "backup.sh"
    assert os.access(script, os.X_OK)
    assert "set -euo pipefail" in script.read_text()
    env = {"PATH": os.environ["PATH"], "PYTHON": sys.executable, "BACKUP_DIR": str(tmp_path)}
    done = subprocess.run([str(script), "location"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path)


def test_missing_database_url_is_a_configuration_error(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "BACKUP_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "harness.db.backup", "backup"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "DATABASE_URL is not set" in done.stderr


