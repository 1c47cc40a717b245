"""WIL-1.2-003 Initial migration with rollback test: the migration set applied, checked by catalog, round-tripped.

Every check runs in a scratch database (never docling_db). The migration set is the reference one,
or the one named by ``--migrations-dir``.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import psycopg
import pytest

from harness.db import migrate
from harness.db.indexes import leading_with
from harness.db.migration_files import MigrationSetError, discover, name_problems
from harness.db.schema_snapshot import dump_schema, snapshot
from harness.infra import PrerequisiteMissing
from harness.signoff.evidence import Evidence

from fixtures.dbschema import ScratchDatabase

EXPECTED_ENUMS = {
    "public.job_status": ["PENDING", "PROCESSING", "COMPLETED", "FAILED"],
    "public.result_format": ["MARKDOWN", "JSON", "HTML"],
}
#: table -> column -> (type, nullability); the documented names (docs/dbschema.md).
EXPECTED_COLUMNS = {
    "Job": {"id": ("uuid", "NOT NULL"), "sessionId": ("text", "NOT NULL"), "fileName": ("text", "NOT NULL"),
            "fileType": ("text", "NOT NULL"), "fileSize": ("integer", "NOT NULL"),
            "status": ("job_status", "NOT NULL"), "createdAt": ("timestamp(3) with time zone", "NOT NULL"),
            "updatedAt": ("timestamp(3) with time zone", "NOT NULL")},
    "Result": {"id": ("uuid", "NOT NULL"), "job_id": ("uuid", "NOT NULL"), "format": ("result_format", "NOT NULL"),
               "content": ("text", "NOT NULL"), "created_at": ("timestamp(3) with time zone", "NOT NULL")},
}
#: (table, leading column) pairs the plan's "indexes on job_id, created_at" asks for.
EXPECTED_INDEXES = [("Result", "job_id"), ("Job", "createdAt"), ("Result", "created_at")]


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.criterion("WIL-1.2-003/AC1")
def test_migration_names_are_descriptive(migrations_dir: Path, evidence: Evidence) -> None:
    """Every migration directory is NNNN_snake_words with words that say what it does (no timestamps, no 'migration1')."""
    try:
        names = [m.name for m in discover(migrations_dir)]
    except MigrationSetError as exc:
        pytest.fail(f"the migration set is not usable: {exc}")
    evidence.json("migrations, in order", names)
    problems = [p for name in names for p in name_problems(name)]
    assert not problems, "migration names are not descriptive:\n" + "\n".join(problems)
    numbers = [int(n[:4]) for n in names]
    assert numbers == sorted(set(numbers)), f"migration numbers are not strictly increasing: {numbers}"


@pytest.mark.criterion("WIL-1.2-003/AC2")
def test_migrations_apply_on_an_empty_database(scratch_db: ScratchDatabase, migrations_dir: Path,
                                               evidence: Evidence) -> None:
    """On an empty scratch database the runner applies every migration (direct URL) and status shows none pending."""
    with migrate.connect(scratch_db.url) as conn:
        before = snapshot(conn)
        assert not before.table_names(), f"scratch database not empty: {sorted(before.table_names())}"
        events = migrate.up(conn, migrations_dir)
        states = migrate.status(conn, migrations_dir)
    evidence.table("migrations applied", [{"name": e.name, "direction": e.direction, "ms": e.execution_ms,
                                           "sha256": e.checksum} for e in events])
    assert [e.name for e in events] == [m.name for m in discover(migrations_dir)]
    assert all(s.state == "applied" for s in states), f"still pending after up: {states}"


@pytest.mark.criterion("WIL-1.2-003/AC3")
def test_tables_and_enum_types_exist(migrated_db: ScratchDatabase, evidence: Evidence) -> None:
    """The catalog shows tables Job and Result with their columns, and the enum types with their labels in order."""
    with migrated_db.connect() as conn:
        snap = snapshot(conn)
    evidence.json("enum types", snap.enum_labels())
    evidence.json("tables", sorted(snap.table_names()))
    assert {"Job", "Result"} <= snap.table_names(), f"tables missing: {sorted({'Job', 'Result'} - snap.table_names())}"
    labels = snap.enum_labels()
    for enum, expected in EXPECTED_ENUMS.items():
        assert labels.get(enum) == expected, f"enum {enum}: expected labels {expected}, found {labels.get(enum)}"
    columns = {(r[0], r[3]): (r[4], r[5]) for r in snap.rows("columns") if r[1] == "public"}
    evidence.table("columns", [{"table": t, "column": c, "type": ty, "null": nl}
                               for (t, c), (ty, nl) in sorted(columns.items())])
    wrong = [f'"{t}"."{c}": expected {exp}, found {columns.get((t, c), "missing")}'
             for t, cols in EXPECTED_COLUMNS.items() for c, exp in cols.items() if columns.get((t, c)) != exp]
    assert not wrong, "columns differ from the documented schema (docs/dbschema.md):\n" + "\n".join(wrong)
    fks = [r for r in snap.rows("constraints") if r[0] == "Result" and r[3] == "f"]
    assert any('FOREIGN KEY (job_id) REFERENCES "Job"(id) ON UPDATE CASCADE ON DELETE CASCADE' in r[4] for r in fks), \
        f'Result.job_id must reference "Job"(id) ON DELETE CASCADE; found {fks}'


@pytest.mark.criterion("WIL-1.2-003/AC4")
def test_indexes_on_job_id_and_created_at(migrated_db: ScratchDatabase, evidence: Evidence) -> None:
    """Valid indexes lead with Result.job_id and the created-at columns, matched by column lists, not names."""
    missing = []
    with migrated_db.connect() as conn:
        for table, column in EXPECTED_INDEXES:
            found = leading_with(conn, table, column)
            evidence.table(f'indexes leading with "{table}"."{column}"', [i.as_row() for i in found])
            if not any(i.valid for i in found):
                missing.append(f'"{table}"("{column}")' + (" (only INVALID ones)" if found else ""))
    assert not missing, f"no valid index leads with: {', '.join(missing)}; add them in a migration"


@pytest.mark.criterion("WIL-1.2-003/AC5")
def test_round_trip_restores_the_schema(scratch_db: ScratchDatabase, migrations_dir: Path,
                                        evidence: Evidence) -> None:
    """empty (S0) -> up (S1) -> down to base (must equal S0, enum types included) -> up (must equal S1)."""
    dumps: dict[str, str] = {}

    def dump(label: str) -> None:
        try:
            dumps[label] = dump_schema(scratch_db.url)
        except PrerequisiteMissing:
            pass  # pg_dump is a second opinion; the catalog snapshot decides

    with migrate.connect(scratch_db.url) as conn:
        s0 = snapshot(conn); dump("S0")
        migrate.up(conn, migrations_dir)
        s1 = snapshot(conn); dump("S1")
        migrate.down(conn, migrations_dir, to=migrate.BASE)
        s0b = snapshot(conn); dump("S0'")
        back_to_empty = s0.diff(s0b)
        evidence.json("enum types after down (must be none)", s0b.enum_labels())
        evidence.json("S0 vs after down (catalog diff, must be empty)", back_to_empty)
        assert not back_to_empty, "down did not restore the empty schema:\n" + "\n".join(back_to_empty)
        migrate.up(conn, migrations_dir)
        s1b = snapshot(conn); dump("S1'")
    evidence.json("catalog counts S0/S1", {"S0": s0.counts(), "S1": s1.counts()})
    again = s1.diff(s1b)
    evidence.json("S1 vs re-applied (catalog diff, must be empty)", again)
    assert not again, "re-applying after down gives another schema:\n" + "\n".join(again)
    if dumps:
        same = {"S0 == S0'": dumps["S0"] == dumps["S0'"], "S1 == S1'": dumps["S1"] == dumps["S1'"]}
        evidence.json("pg_dump --schema-only comparison (\\restrict keys stripped)", same)
        assert all(same.values()), f"pg_dump schemas differ: {same}"


@pytest.mark.criterion("WIL-1.2-003/AC6")
def test_history_is_appended_and_checksums_hold(scratch_db: ScratchDatabase, migrations_dir: Path,
                                                tmp_path: Path, evidence: Evidence) -> None:
    """History rows are appended through up -> down (latest) -> up, carry SHA-256 of the files, are never
    rewritten, and a changed up.sql of an applied migration is refused with both checksums named."""
    migrations = discover(migrations_dir)
    with migrate.connect(scratch_db.url) as conn:
        migrate.up(conn, migrations_dir)
        first = migrate.history(conn)
        migrate.down(conn, migrations_dir)
        migrate.up(conn, migrations_dir)
        rows = migrate.history(conn)
        states = migrate.status(conn, migrations_dir)
        evidence.table("_migration_history", [
            {"id": r.id, "name": r.name, "direction": r.direction, "sha256": r.checksum[:16],
             "applied_at": r.applied_at, "rolled_back_at": r.rolled_back_at or ""} for r in rows])
        last = migrations[-1]
        expected = [(m.name, "up") for m in migrations] + [(last.name, "down"), (last.name, "up")]
        assert [(r.name, r.direction) for r in rows] == expected, "history is not the appended event sequence"
        assert rows[: len(first)] == first, "earlier history rows were rewritten"
        for r in rows:
            disk = _file_sha256(migrations_dir / r.name / "up.sql")
            assert r.checksum == disk, f"{r.name}: recorded {r.checksum} != SHA-256 of up.sql {disk}"
        down_row, reverted = rows[len(migrations)], first[-1]
        assert down_row.applied_at == reverted.applied_at and down_row.rolled_back_at is not None, \
            "the down event must name the application it reverted and when it was rolled back"
        assert all(s.state == "applied" and s.checksum_ok for s in states), states
        with pytest.raises(psycopg.Error, match="append-only"):
            with conn.transaction():
                conn.execute("UPDATE _migration_history SET checksum = 'x'")

    changed = tmp_path / "changed"
    shutil.copytree(migrations_dir, changed)
    target = changed / migrations[0].name / "up.sql"
    target.write_text(target.read_text() + "\n-- edited after it was applied\n")
    with migrate.connect(scratch_db.url) as conn:
        with pytest.raises(migrate.ChecksumMismatch) as refused:
            migrate.up(conn, changed)
        after = migrate.history(conn)
    message = str(refused.value)
    evidence.text("refusal of an edited applied migration", message)
    assert str(target) in message and rows[0].checksum in message and _file_sha256(target) in message
    assert after == rows, "a refused run must not touch the history"
