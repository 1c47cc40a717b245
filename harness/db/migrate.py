"""The migration runner: up, down and status over the DIRECT database URL.

    MigrationError
    ├── ChecksumMismatch   an applied migration's up.sql changed on disk
    ├── HistoryError       history and files disagree (applied migration without a file, out of order)
    ├── TargetError        --to names no known migration, or one in the wrong state
    └── LockTimeout        another runner holds the migration lock

History is an append-only event log (the model of sqitch's ``events``): every up and every
down appends one row to ``_migration_history``; nothing is ever updated or deleted (a trigger
refuses it). A migration is applied when its latest event is ``up``. A down event repeats the
checksum and ``applied_at`` of the up event it reverts and sets ``rolled_back_at``.

Why the direct URL: the runner holds a session-level ``pg_advisory_lock`` across transactions,
which transaction pooling (PgBouncer) would hand to some other client's server connection.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from .migration_files import DEFAULT_DIR, Migration, MigrationSetError, discover

HISTORY_TABLE = "_migration_history"
#: Advisory lock key of this runner (any constant; Prisma uses 72707369 for its own).
LOCK_KEY = 4_720_112_003
BASE = "base"

_CREATE_HISTORY = b"""
CREATE TABLE _migration_history (
    id             serial PRIMARY KEY,
    name           text        NOT NULL,
    direction      text        NOT NULL CHECK (direction IN ('up', 'down')),
    checksum       text        NOT NULL,
    down_checksum  text,
    applied_at     timestamptz NOT NULL,
    rolled_back_at timestamptz,
    execution_ms   integer     NOT NULL,
    applied_by     text        NOT NULL DEFAULT current_user
);
CREATE FUNCTION _migration_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '_migration_history is append-only: % refused', TG_OP
        USING HINT = 'record a rollback by running the down migration; never edit the history';
END $$;
CREATE TRIGGER _migration_history_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON _migration_history
    FOR EACH STATEMENT EXECUTE FUNCTION _migration_history_append_only();
"""


class MigrationError(RuntimeError):
    """Base class: the runner refused or failed; the message says what was checked and how to fix it."""


class ChecksumMismatch(MigrationError):
    def __init__(self, migration: Migration, recorded: str, actual: str) -> None:
        self.migration, self.recorded, self.actual = migration, recorded, actual
        super().__init__(
            f"refusing to run: migration {migration.name} was applied with up.sql SHA-256 {recorded}, but "
            f"{migration.up_path} now hashes to {actual}. Applied migrations must not be edited: restore the "
            "file (e.g. git checkout) and put the change in a new migration.")


class HistoryError(MigrationError):
    pass


class TargetError(MigrationError):
    pass


class LockTimeout(MigrationError):
    pass


@dataclass(frozen=True)
class HistoryRow:
    id: int
    name: str
    direction: str
    checksum: str
    down_checksum: str | None
    applied_at: dt.datetime
    rolled_back_at: dt.datetime | None
    execution_ms: int
    applied_by: str


@dataclass(frozen=True)
class MigrationStatus:
    name: str
    state: str  # "applied" | "pending"
    applied_at: dt.datetime | None
    checksum_ok: bool | None  # None while pending


def connect(url: str, *, connect_timeout: int = 10) -> psycopg.Connection[tuple[object, ...]]:
    """An autocommit connection for the runner (each migration opens its own transaction)."""
    return psycopg.connect(url, autocommit=True, connect_timeout=connect_timeout)


def history(conn: psycopg.Connection[tuple[object, ...]]) -> list[HistoryRow]:
    """Every event, oldest first (empty when the history table does not exist yet)."""
    if not _history_exists(conn):
        return []
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT id, name, direction, checksum, down_checksum, applied_at, rolled_back_at, "
                    "execution_ms, applied_by FROM _migration_history ORDER BY id")
        return [HistoryRow(**row) for row in cur.fetchall()]


def applied_events(rows: list[HistoryRow]) -> dict[str, HistoryRow]:
    """name -> its latest event, for migrations whose latest event is an ``up``."""
    latest: dict[str, HistoryRow] = {}
    for row in rows:
        latest[row.name] = row
    return {name: row for name, row in latest.items() if row.direction == "up"}


def status(conn: psycopg.Connection[tuple[object, ...]], directory: Path = DEFAULT_DIR) -> list[MigrationStatus]:
    """Applied/pending per migration file; read-only (creates nothing)."""
    applied = applied_events(history(conn))
    return [MigrationStatus(m.name, "applied" if m.name in applied else "pending",
                            applied[m.name].applied_at if m.name in applied else None,
                            (applied[m.name].checksum == m.checksum) if m.name in applied else None)
            for m in discover(directory)]


def up(conn: psycopg.Connection[tuple[object, ...]], directory: Path = DEFAULT_DIR, *, to: str | None = None,
       lock_timeout_s: float = 10.0) -> list[HistoryRow]:
    """Apply pending migrations in order (all, or up to and including ``to``); returns the new events."""
    migrations = discover(directory)
    with _locked(conn, lock_timeout_s):
        _ensure_history(conn)
        applied = _verified(conn, migrations)
        names = [m.name for m in migrations]
        last = len(migrations) - 1 if to is None else _index(names, to, "up")
        pending = [m for m in migrations[: last + 1] if m.name not in applied]
        return [_run(conn, m, "up", None) for m in pending]


def down(conn: psycopg.Connection[tuple[object, ...]], directory: Path = DEFAULT_DIR, *, to: str | None = None,
         lock_timeout_s: float = 10.0) -> list[HistoryRow]:
    """Revert applied migrations newest first: the latest one, or every one after ``to`` (``base``: all)."""
    migrations = discover(directory)
    with _locked(conn, lock_timeout_s):
        _ensure_history(conn)
        applied = _verified(conn, migrations)
        ordered = [m for m in migrations if m.name in applied]
        if to is None:
            targets = ordered[-1:]
        elif to == BASE:
            targets = ordered
        else:
            keep = _index([m.name for m in migrations], to, "down")
            if to not in applied:
                raise TargetError(f"--to {to}: that migration is not applied, so it cannot be the state to roll "
                                  f"back to; applied: {', '.join(m.name for m in ordered) or 'none'}")
            targets = [m for m in ordered if m.number > migrations[keep].number]
        return [_run(conn, m, "down", applied[m.name]) for m in reversed(targets)]


def _run(conn: psycopg.Connection[tuple[object, ...]], m: Migration, direction: str,
         reverted: HistoryRow | None) -> HistoryRow:
    script = m.up_sql if direction == "up" else m.down_sql
    t0 = time.perf_counter()
    try:
        with conn.transaction():
            # A migration waits at most 10 s for a table lock instead of queueing behind the app forever.
            conn.execute(b"SET LOCAL lock_timeout = '10s'")
            conn.execute(script.encode())
            ms = round((time.perf_counter() - t0) * 1000)
            with conn.cursor(row_factory=dict_row) as cur:
                cur.execute(
                    "INSERT INTO _migration_history (name, direction, checksum, down_checksum, applied_at, "
                    "rolled_back_at, execution_ms) VALUES (%s, %s, %s, %s, COALESCE(%s, now()), "
                    "CASE WHEN %s THEN now() END, %s) "
                    "RETURNING id, name, direction, checksum, down_checksum, applied_at, rolled_back_at, "
                    "execution_ms, applied_by",
                    (m.name, direction, reverted.checksum if reverted else m.checksum,
                     m.down_checksum if direction == "down" else None,
                     reverted.applied_at if reverted else None,
                     reverted is not None, ms))
                row = cur.fetchone()
    except psycopg.Error as exc:
        path = m.up_path if direction == "up" else m.down_path
        raise MigrationError(f"{direction} of {m.name} failed and was rolled back ({path}): "
                             f"{type(exc).__name__}: {exc}".strip()) from exc
    assert row is not None
    return HistoryRow(**row)


def _verified(conn: psycopg.Connection[tuple[object, ...]], migrations: list[Migration]) -> dict[str, HistoryRow]:
    """Applied events, after checking every applied migration still has its file, unchanged, in order."""
    applied = applied_events(history(conn))
    by_name = {m.name: m for m in migrations}
    missing = sorted(set(applied) - set(by_name))
    if missing:
        raise HistoryError(f"applied migration(s) {', '.join(missing)} have no directory in {migrations[0].directory.parent}; "
                           "restore them before running up or down")
    for name, event in applied.items():
        actual = by_name[name].checksum
        if event.checksum != actual:
            raise ChecksumMismatch(by_name[name], event.checksum, actual)
    states = [m.name in applied for m in migrations]
    if any(not a and b for a, b in zip(states, states[1:])):
        gap = next(m.name for m, a in zip(migrations, states) if not a)
        raise HistoryError(f"{gap} is pending but a later migration is applied; migrations apply in order, "
                           "renumber the new migration after the applied ones")
    return applied


def _index(names: list[str], to: str, verb: str) -> int:
    if to not in names:
        raise TargetError(f"--to {to}: no such migration; known: {', '.join(names)}"
                          + (f" (or {BASE!r})" if verb == "down" else ""))
    return names.index(to)


def _history_exists(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
    row = conn.execute("SELECT to_regclass('_migration_history') IS NOT NULL").fetchone()
    return bool(row and row[0])


def _ensure_history(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    if not _history_exists(conn):
        with conn.transaction():
            conn.execute(_CREATE_HISTORY)


class _locked:
    """Hold the runner's session advisory lock; wait at most ``timeout_s`` for it."""

    def __init__(self, conn: psycopg.Connection[tuple[object, ...]], timeout_s: float) -> None:
        self.conn, self.timeout_s = conn, timeout_s

    def __enter__(self) -> None:
        deadline = time.monotonic() + self.timeout_s
        while True:
            row = self.conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()
            if row and row[0]:
                return
            if time.monotonic() >= deadline:
                raise LockTimeout(f"another migration run holds advisory lock {LOCK_KEY} on this database "
                                  f"(waited {self.timeout_s:.0f} s); wait for it to finish, or find it in "
                                  "pg_locks WHERE locktype = 'advisory'")
            time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        try:
            self.conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
        except psycopg.Error:
            pass  # a broken session releases its advisory locks as it ends; keep the original error



__all__ = ["BASE", "ChecksumMismatch", "HistoryError", "HistoryRow", "LockTimeout", "MigrationError",
           "MigrationSetError", "MigrationStatus", "TargetError", "applied_events", "connect", "down", "history",
           "status", "up"]
