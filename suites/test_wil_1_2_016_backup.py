"""WIL-1.2-016: the backup script — safe dump, real restore verification, location, retention.

The command under test is the ``backup`` role (default ``python -m harness.db.backup``).
Every run works on a scratch database of the app role and a temporary backup directory.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest

from fixtures.dbpool_backup import BackupCommand, BackupRun, ScratchSource
from fixtures.dbpool import ROOT, child_env
from harness.db.backup import fingerprints
from harness.db.retention import DAY_S, backup_pattern
from harness.infra.binaries import pg_bindir

RUNBOOK = ROOT / "docs" / "runbooks" / "backup.md"
TRAILER = b"-- PostgreSQL database dump complete"


def entry_point(argv: tuple[str, ...]) -> tuple[str, Path | None]:
    """("shell"|"python-module"|"executable", file) of a command's program."""
    rest = list(argv)
    if rest and Path(rest[0]).name == "env":
        rest = rest[1:]
        while rest and "=" in rest[0]:
            rest.pop(0)
    if len(rest) >= 3 and "python" in Path(rest[0]).name and rest[1] == "-m":
        spec = importlib.util.find_spec(rest[2])
        return "python-module", Path(spec.origin) if spec and spec.origin else None
    if rest and Path(rest[0]).name in ("bash", "sh", "dash"):
        return "shell", Path(ROOT, rest[1]) if len(rest) > 1 else None
    program = Path(ROOT, rest[0]) if rest else None
    if program and program.is_file() and program.read_bytes()[:2] == b"#!" and b"sh" in program.read_bytes()[:40]:
        return "shell", program
    return "executable", program


def backups_in(directory: Path, dbname: str) -> list[Path]:
    pattern = backup_pattern(dbname)
    return sorted(p for p in directory.iterdir() if pattern.match(p.name)) if directory.exists() else []


def the_backup(run: BackupRun) -> Path:
    """The one file the module's backup run produced (the run is judged here, by every test using it)."""
    assert run.done.returncode == 0, f"backup exited {run.done.returncode}:\n{run.done.stderr[-2000:]}"
    found = backups_in(run.directory, run.source.name)
    assert len(found) == 1, f"expected one backup named {run.source.name}_YYYYmmdd_HHMMSS.sql.gz, found {found}"
    return found[0]


def restore_with_psql(backup: Path, admin_url: str, dbname: str) -> subprocess.CompletedProcess[bytes]:
    """The harness's own restore: gunzip -c | psql -X -v ON_ERROR_STOP=1 --single-transaction."""
    params = psycopg.conninfo.conninfo_to_dict(admin_url)
    env = dict(os.environ, PGPASSWORD=str(params.pop("password", "")))
    params["dbname"] = dbname
    conninfo = psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in params.items()})
    with gzip.open(backup, "rb") as f:
        data = f.read()
    return subprocess.run([str(pg_bindir() / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
                           f"--dbname={conninfo}"], input=data, capture_output=True, env=env, timeout=120, check=False)


@pytest.fixture
def failing_pg_dump(tmp_path: Path) -> Path:
    """A bin dir whose pg_dump writes the first 4 KB of a real dump, then fails (exit 1)."""
    shim = tmp_path / "shim-bin"
    shim.mkdir()
    real = pg_bindir()
    for tool in ("psql", "pg_restore"):
        (shim / tool).symlink_to(real / tool)
    (shim / "pg_dump").write_text(f'#!/bin/sh\n"{real / "pg_dump"}" "$@" | head -c 4096\nexit 1\n')
    (shim / "pg_dump").chmod(0o755)
    return shim


@pytest.mark.criterion("WIL-1.2-016/AC1")
def test_backup_script_exists_and_uses_pipefail(backup_command: BackupCommand, evidence: Any) -> None:
    """The command's program exists; a shell script must set pipefail (else `pg_dump | gzip` hides failures)."""
    kind, program = entry_point(backup_command.argv)
    evidence.json("backup command", {"argv": list(backup_command.argv), "kind": kind, "program": str(program)})
    assert program is not None and program.is_file(), f"the backup program {program} does not exist"
    if kind == "shell":
        text = program.read_text(encoding="utf-8")
        assert re.search(r"(?m)^\s*set\s+(-[a-z]*o\s+pipefail|-o\s+pipefail)", text), (
            f"{program.name} never runs `set -o pipefail`: a failed pg_dump piped into gzip exits 0")
        assert re.search(r"(?m)^\s*set\s+-[a-z]*e", text), f"{program.name} does not stop on errors (set -e)"
    else:
        assert os.access(program, os.R_OK)


@pytest.mark.criterion("WIL-1.2-016/AC1")
def test_failed_dump_leaves_no_backup(
    backup_command: BackupCommand, scratch_source: ScratchSource, failing_pg_dump: Path, tmp_path: Path,
    evidence: Any,
) -> None:
    """pg_dump dies after 4 KB: the command exits non-zero and no file with a backup name remains."""
    directory = tmp_path / "backups"
    env = scratch_source.env(directory, PG_BINDIR=str(failing_pg_dump),
                             PATH=f"{failing_pg_dump}{os.pathsep}{os.environ.get('PATH', '')}")
    done = backup_command.run("backup", env=env)
    left = sorted(p.name for p in directory.iterdir()) if directory.exists() else []
    evidence.json("backup with a pg_dump failing midway", {
        "exit_code": done.returncode, "stderr_tail": done.stderr[-800:], "files_left": left})
    assert done.returncode != 0, "the backup command reported success although pg_dump failed"
    assert not backups_in(directory, scratch_source.name), f"a backup-named file survived a failed dump: {left}"


@pytest.mark.criterion("WIL-1.2-016/AC2")
def test_backup_runs_against_a_scratch_database(backup_run: BackupRun, evidence: Any) -> None:
    """The command dumps the scratch database into a complete, timestamped .sql.gz in BACKUP_DIR."""
    backup = the_backup(backup_run)
    elapsed = backup_run.seconds
    with gzip.open(backup, "rb") as f:
        text = f.read()
    evidence.json("backup", {"file": backup.name, "bytes": backup.stat().st_size, "sql_bytes": len(text),
                             "seconds": round(elapsed, 3), "complete": TRAILER in text[-512:]})
    assert TRAILER in text[-512:], "the dump lacks pg_dump's completion trailer"
    assert b"CREATE TABLE public.job" in text, "the dump does not contain the source's tables"


@pytest.mark.criterion("WIL-1.2-016/AC3")
def test_backup_restores_with_equal_counts_and_checksums(
    backup_run: BackupRun, scratch_database: Callable[[], str], evidence: Any,
) -> None:
    """Restored by the harness into a fresh database, every table matches the source (rows and md5);
    the command left a verification log next to the backup that names every table."""
    backup, scratch_source = the_backup(backup_run), backup_run.source
    target = scratch_database()
    done = restore_with_psql(backup, scratch_source.admin_url, target)
    assert done.returncode == 0, f"restore failed: {done.stderr.decode(errors='replace')[-1500:]}"
    with psycopg.connect(scratch_source.url, autocommit=True) as conn:
        source = fingerprints(conn)
    with psycopg.connect(psycopg.conninfo.make_conninfo(scratch_source.admin_url, dbname=target),
                         autocommit=True) as conn:
        restored = fingerprints(conn)
    rows = [{"table": t, "source_rows": source[t][0], "restored_rows": restored.get(t, (-1, ""))[0],
             "source_md5": source[t][1], "restored_md5": restored.get(t, (-1, "-"))[1]} for t in sorted(source)]
    evidence.table("restore comparison", rows)
    assert restored == source, "the restored database differs from the source"
    logs = [p for p in backup.parent.iterdir() if p.name.startswith(backup.name) and p.name.endswith(".log")]
    assert logs, f"no verification log next to {backup.name}"
    log = logs[0].read_text(encoding="utf-8")
    evidence.text("verification log", log)
    missing = [t for t in source if t not in log]
    assert not missing, f"the verification log does not mention {missing}"


def _truncated_copy(backup: Path, dest: Path) -> None:
    """A well-formed gzip of the first ~60% of the dump, cut at a line end (a dump that died midway)."""
    with gzip.open(backup, "rb") as f:
        text = f.read()
    cut = text.rindex(b"\n", 0, int(len(text) * 0.6)) + 1
    with gzip.open(dest, "wb") as f:
        f.write(text[:cut])


@pytest.mark.criterion("WIL-1.2-016/AC3")
def test_truncated_or_corrupt_backup_is_not_accepted(
    backup_command: BackupCommand, backup_run: BackupRun, tmp_path: Path, evidence: Any
) -> None:
    """`verify` rejects a truncated dump that gunzip -t happily passes, and a corrupted file (the three
    verifications run side by side: each restores into its own scratch database)."""
    good = the_backup(backup_run)
    bad = tmp_path / "bad"
    bad.mkdir()
    truncated, corrupt = bad / good.name, bad / good.name.replace(".sql.gz", "0.sql.gz")
    _truncated_copy(good, truncated)
    data = bytearray(good.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 64):
        data[i] ^= 0x5A
    corrupt.write_bytes(bytes(data))
    gzip_bin = shutil.which("gzip")
    gunzip_t = subprocess.run([gzip_bin, "-t", str(truncated)], capture_output=True, check=False) if gzip_bin else None
    env = backup_run.source.env(backup_run.directory)
    files = {"good": good, "truncated": truncated, "corrupt": corrupt}
    with ThreadPoolExecutor(len(files)) as pool:
        futures = {k: pool.submit(backup_command.run, "verify", str(f), env=env) for k, f in files.items()}
        results = {k: f.result() for k, f in futures.items()}
    evidence.json("verify outcomes", {
        "gunzip -t on the truncated dump": None if gunzip_t is None else gunzip_t.returncode,
        **{k: {"exit": v.returncode, "output": (v.stdout + v.stderr)[-600:]} for k, v in results.items()}})
    if gunzip_t is not None:
        assert gunzip_t.returncode == 0, "setup: the truncated dump should be a valid gzip"
    assert results["good"].returncode == 0, f"verify rejected a good backup: {results['good'].stderr[-800:]}"
    assert results["truncated"].returncode != 0, "verify accepted a dump cut at 60% (a gzip CRC check is not a restore)"
    assert results["corrupt"].returncode != 0, "verify accepted a corrupted file"


@pytest.mark.criterion("WIL-1.2-016/AC4")
def test_runbook_names_the_backup_location(backup_command: BackupCommand, tmp_path: Path, evidence: Any) -> None:
    """docs/runbooks/backup.md states the directory the command uses when BACKUP_DIR is not set."""
    done = backup_command.run("location", env=child_env(DATABASE_URL="postgresql://app@127.0.0.1:1/docling_db"))
    assert done.returncode == 0, f"`location` failed: {done.stderr[-800:]}"
    default = done.stdout.strip().splitlines()[-1]
    assert RUNBOOK.is_file(), f"{RUNBOOK.relative_to(ROOT)} is missing"
    text = RUNBOOK.read_text(encoding="utf-8")
    documented = re.findall(r"(?im)^.*\blocation\b.*?`(/[^`]+)`", text)
    evidence.json("backup location", {"command_default": default, "runbook_location_lines": documented})
    assert documented, "the runbook has no line naming the backup location (e.g. 'Location: `/path`')"
    assert default.rstrip("/") in {d.rstrip("/") for d in documented}, (
        f"the command writes to {default} but the runbook names {documented}")


def _age_files(directory: Path, dbname: str, ages_s: dict[str, float], now: float) -> dict[str, str]:
    """Create backups named after their mtime; returns label -> file name."""
    names: dict[str, str] = {}
    for label, age in ages_s.items():
        stamp = time.strftime("%Y%m%d_%H%M%S", time.gmtime(now - age))
        path = directory / f"{dbname}_{stamp}.sql.gz"
        path.write_bytes(gzip.compress(b"-- dump " + label.encode()))
        os.utime(path, (now - age, now - age))
        names[label] = path.name
    return names


def _prune(cmd: BackupCommand, directory: Path, dbname: str) -> subprocess.CompletedProcess[str]:
    env = child_env(DATABASE_URL=f"postgresql://app@127.0.0.1:1/{dbname}", BACKUP_DIR=str(directory))
    return cmd.run("prune", env=env)


@pytest.mark.criterion("WIL-1.2-016/AC5")
def test_retention_deletes_exactly_the_backups_older_than_seven_days(
    backup_command: BackupCommand, tmp_path: Path, evidence: Any
) -> None:
    """Ages 6d23h, 7d+1min, 8d, 30d and lookalike files: only the three backups past 7 days go."""
    directory, db, now = tmp_path / "backups", "docling_db", time.time()
    directory.mkdir()
    names = _age_files(directory, db, {"6d23h": 7 * DAY_S - 3600, "7d+1min": 7 * DAY_S + 60,
                                       "8d": 8 * DAY_S, "30d": 30 * DAY_S}, now)
    lookalikes = ["notes.txt", "other_db_20200101_000000.sql.gz", f"{db}_20200101_000000.sql.gz.partial",
                  f"{db}_latest.sql.gz", f"{db}_20200101_000000.sql"]
    for name in lookalikes:
        (directory / name).write_bytes(b"x")
        os.utime(directory / name, (now - 30 * DAY_S, now - 30 * DAY_S))
    before = sorted(p.name for p in directory.iterdir())
    done = _prune(backup_command, directory, db)
    after = sorted(p.name for p in directory.iterdir())
    deleted = set(before) - set(after)
    expected = {names["7d+1min"], names["8d"], names["30d"]}
    evidence.json("retention (7 days)", {"files": names, "lookalikes": lookalikes, "deleted": sorted(deleted),
                                         "expected_deleted": sorted(expected), "exit": done.returncode})
    assert done.returncode == 0, f"prune failed: {done.stderr[-800:]}"
    assert deleted == expected, (f"deleted {sorted(deleted)}, expected exactly {sorted(expected)} "
                                 "(older than 7 x 86400 s; `find -mtime +7` keeps files until they are 8 days old)")


@pytest.mark.criterion("WIL-1.2-016/AC5")
def test_retention_keeps_the_newest_backup_even_when_old(
    backup_command: BackupCommand, tmp_path: Path, evidence: Any
) -> None:
    """When backups stopped 8 days ago, the newest one (8d) survives; 9d and 30d go."""
    directory, db, now = tmp_path / "backups", "docling_db", time.time()
    directory.mkdir()
    names = _age_files(directory, db, {"8d": 8 * DAY_S, "9d": 9 * DAY_S, "30d": 30 * DAY_S}, now)
    done = _prune(backup_command, directory, db)
    after = sorted(p.name for p in directory.iterdir())
    evidence.json("retention with only old backups", {"files": names, "left": after, "exit": done.returncode})
    assert done.returncode == 0, f"prune failed: {done.stderr[-800:]}"
    assert after == [names["8d"]], f"expected only the newest backup {names['8d']} to remain, found {after}"
