"""The migration set on disk: ``NNNN_snake_words/{up.sql,down.sql}`` directories, ordered by number.

Checksums are SHA-256 of the file bytes (as Prisma's ``_prisma_migrations.checksum``), so
an applied migration whose file was edited afterwards is caught before anything runs.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

#: The reference migrations shipped with the harness.
DEFAULT_DIR = Path(__file__).resolve().parent / "migrations"

NAME_PATTERN = re.compile(r"^(?P<number>\d{4})_(?P<words>[a-z][a-z0-9]*(?:_[a-z0-9]+)*)$")
#: Words that say nothing about what a migration does.
VAGUE_WORDS = frozenset({"migration", "init", "initial", "update", "change", "changes", "misc", "fix", "new",
                         "temp", "tmp", "test", "schema", "db", "wip"})


class MigrationSetError(RuntimeError):
    """The migrations directory is not a usable migration set."""


@dataclass(frozen=True)
class Migration:
    """One migration: its name (directory) and both scripts."""

    name: str
    directory: Path
    up_sql: str
    down_sql: str

    @property
    def number(self) -> int:
        return int(self.name[:4])

    @property
    def up_path(self) -> Path:
        return self.directory / "up.sql"

    @property
    def down_path(self) -> Path:
        return self.directory / "down.sql"

    @property
    def checksum(self) -> str:
        """SHA-256 (hex) of up.sql as stored on disk."""
        return sha256_file(self.up_path)

    @property
    def down_checksum(self) -> str:
        return sha256_file(self.down_path)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def discover(directory: Path = DEFAULT_DIR) -> list[Migration]:
    """Every migration under ``directory``, in order; errors name the offending entry and the fix."""
    if not directory.is_dir():
        raise MigrationSetError(f"migrations directory {directory} does not exist "
                                "(pass --migrations-dir, or set HARNESS_MIGRATIONS_DIR)")
    found: list[Migration] = []
    numbers: dict[int, str] = {}
    for entry in sorted(directory.iterdir()):
        if not entry.is_dir() or entry.name.startswith(("_", ".")):
            continue  # __pycache__, README files and the like
        if not NAME_PATTERN.match(entry.name):
            raise MigrationSetError(f"{entry}: migration directories are named NNNN_snake_words "
                                    "(e.g. 0003_add_result_checksum); rename it")
        missing = [f for f in ("up.sql", "down.sql") if not (entry / f).is_file()]
        if missing:
            raise MigrationSetError(f"{entry}: missing {' and '.join(missing)}; every migration needs an up "
                                    "script and a down script that undoes it exactly")
        number = int(entry.name[:4])
        if number in numbers:
            raise MigrationSetError(f"{entry.name} and {numbers[number]} share the number {number:04d}; "
                                    "renumber one of them")
        numbers[number] = entry.name
        found.append(Migration(entry.name, entry, (entry / "up.sql").read_text(), (entry / "down.sql").read_text()))
    if not found:
        raise MigrationSetError(f"{directory} holds no migration directories (NNNN_snake_words/up.sql)")
    return found


def name_problems(name: str) -> list[str]:
    """Why a migration name is not descriptive (empty list: it is)."""
    match = NAME_PATTERN.match(name)
    if not match:
        return [f"{name!r} does not match NNNN_snake_words"]
    words = match["words"].split("_")
    problems = []
    if len(words) < 2:
        problems.append(f"{name!r} has a single word; say what it does (verb + object, e.g. create_job_table)")
    if all(w in VAGUE_WORDS or w.isdigit() for w in words):
        problems.append(f"{name!r} uses only vague words ({', '.join(words)})")
    if any(len(w) >= 8 and w.isdigit() for w in words):
        problems.append(f"{name!r} carries a timestamp; the number prefix already orders migrations")
    return problems
