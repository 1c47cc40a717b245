"""Backup retention: delete backups older than exactly N days, never the newest one.

Pure selection (:func:`expired`) with an injected ``now``, and the filesystem step
(:func:`prune`). ``find -mtime +7`` is not used on purpose: it floors the age to whole
days before comparing, so it deletes only files at least 8 days old (~8 days are kept).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RETENTION_DAYS", "BackupFile", "backup_pattern", "expired", "prune"]

RETENTION_DAYS = 7
DAY_S = 86_400


def backup_pattern(dbname: str) -> re.Pattern[str]:
    """Names the backup command gives its files: ``<db>_YYYYmmdd_HHMMSS.sql.gz``."""
    return re.compile(rf"^{re.escape(dbname)}_\d{{8}}_\d{{6}}\.sql\.gz$")


@dataclass(frozen=True)
class BackupFile:
    name: str
    mtime: float


def expired(files: Iterable[BackupFile], dbname: str, now: float, days: int = RETENTION_DAYS) -> list[str]:
    """Names to delete: matching the pattern, modified more than ``days`` x 86400 s before
    ``now``, and not the newest matching file (the last good backup survives even when
    backups have stopped for a while)."""
    pattern = backup_pattern(dbname)
    matching = [f for f in files if pattern.match(f.name)]
    if not matching:
        return []
    newest = max(matching, key=lambda f: (f.mtime, f.name))
    cutoff = now - days * DAY_S
    return sorted(f.name for f in matching if f.mtime < cutoff and f is not newest)


def prune(directory: Path, dbname: str, *, now: float | None = None, days: int = RETENTION_DAYS,
          dry_run: bool = False) -> list[Path]:
    """Delete expired backups (and their ``.verify.log``) in ``directory``; return what went.

    Only regular files directly in ``directory`` are considered: no recursion, no symlinks.
    Only files that pass verification ever get a backup name (see harness.db.backup), so
    the newest matching file is the newest good backup.
    """
    now = time.time() if now is None else now
    files = [BackupFile(p.name, p.stat().st_mtime) for p in directory.iterdir()
             if p.is_file() and not p.is_symlink()]
    removed: list[Path] = []
    for name in expired(files, dbname, now, days):
        path = directory / name
        if not dry_run:
            path.unlink(missing_ok=True)
            (directory / f"{name}.verify.log").unlink(missing_ok=True)
        removed.append(path)
    return removed
