"""More defective copies of the reference migration set (WIL-1.2-003/013/015 self-tests, second batch).

Each function copies harness/db/migrations to ``dest``, plants one mistake a developer plausibly makes
and returns ``dest``. Edits are textual replacements that must match exactly once (so a change in the
reference set breaks the plant loudly instead of silently planting nothing), or an added migration
``0003_*`` with a down script that undoes it exactly (so the round trip of WIL-1.2-003/AC5 still holds
and only the criterion under test notices).
"""

from __future__ import annotations

from pathlib import Path

from tests.defects.dbschema_plants import INDEXES, TABLES, _copy, _drop_lines


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"nothing (or too much) to plant in {path}: {old!r} found {text.count(old)} times"
    path.write_text(text.replace(old, new))


def _add_migration(dest: Path, name: str, up: str, down: str) -> None:
    (dest / name).mkdir()
    (dest / name / "up.sql").write_text(up)
    (dest / name / "down.sql").write_text(down)


def reference(dest: Path) -> Path:
    """The reference set, unchanged (for defects planted in the target's servers instead)."""
    return _copy(dest)


# --- WIL-1.2-003 -------------------------------------------------------------------------------------------

def vague_migration_name(dest: Path) -> Path:
    """The index migration is called ``0002_update_schema``: well formed, but says nothing (003/AC1)."""
    _copy(dest)
    (dest / INDEXES).rename(dest / "0002_update_schema")
    return dest


def result_created_before_job(dest: Path) -> Path:
    """0001 creates "Result" (whose foreign key names "Job") before "Job": it cannot apply on an empty database."""
    _copy(dest)
    up = dest / TABLES / "up.sql"
    text = up.read_text()
    start, end = text.index('CREATE TABLE "Result"'), text.rindex(");") + 2
    result = text[start:end]
    text = text[:start] + text[end:]
    job = text.index('CREATE TABLE "Job"')
    up.write_text(text[:job] + result + "\n\n" + text[job:])
    return dest


def migration_prunes_history(dest: Path) -> Path:
    """A "housekeeping" migration switches off the history's append-only guard and deletes rolled-back
    events: the schema is fine, the history is not preserved (003/AC6)."""
    _copy(dest)
    _add_migration(
        dest, "0003_prune_rolled_back_history",
        "-- 0003 up: keep the history short: drop the events of migrations that were rolled back.\n"
        "ALTER TABLE _migration_history DISABLE TRIGGER _migration_history_append_only;\n"
        "DELETE FROM _migration_history WHERE direction = 'down';\n",
        "-- 0003 down: nothing to restore but the guard.\n"
        "ALTER TABLE _migration_history ENABLE TRIGGER _migration_history_append_only;\n")
    return dest


def enum_label_missing(dest: Path) -> Path:
    """result_format lacks the 'HTML' label (the Prisma enum was edited, the migration was not)."""
    _copy(dest)
    _replace(dest / TABLES / "up.sql", "('MARKDOWN', 'JSON', 'HTML')", "('MARKDOWN', 'JSON')")
    return dest


# --- WIL-1.2-013 -------------------------------------------------------------------------------------------

def timestamps_without_time_zone(dest: Path) -> Path:
    """Prisma's default mapping of DateTime: timestamp(3) WITHOUT time zone (no @db.Timestamptz(3))."""
    _copy(dest)
    text = (dest / TABLES / "up.sql").read_text()
    assert text.count("timestamptz(3)") == 3, "expected three timestamptz(3) columns in the reference set"
    (dest / TABLES / "up.sql").write_text(text.replace("timestamptz(3)", "timestamp(3)  "))
    return dest


def file_type_normalised_after_insert(dest: Path) -> Path:
    """An AFTER INSERT trigger rewrites "fileType" from the file's extension (should have been a BEFORE
    trigger editing NEW): INSERT ... RETURNING reports one row, the table then holds another."""
    _copy(dest)
    _add_migration(
        dest, "0003_normalise_job_file_type",
        "-- 0003 up: store the file type as the lower-case extension of the file name.\n"
        "CREATE FUNCTION job_normalise_file_type() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "    UPDATE \"Job\" SET \"fileType\" = lower(split_part(NEW.\"fileName\", '.', -1)) WHERE id = NEW.id;\n"
        "    RETURN NULL;\n"
        "END $$;\n"
        "CREATE TRIGGER job_normalise_file_type AFTER INSERT ON \"Job\"\n"
        "    FOR EACH ROW EXECUTE FUNCTION job_normalise_file_type();\n",
        "DROP TRIGGER job_normalise_file_type ON \"Job\";\n"
        "DROP FUNCTION job_normalise_file_type();\n")
    return dest


def retry_counted_on_first_start(dest: Path) -> Path:
    """A trigger meant to count retries (FAILED -> PROCESSING) forgot the OLD.status condition, so the first
    start (PENDING -> PROCESSING) also bumps "retryCount": updating status changes another field."""
    _copy(dest)
    _add_migration(
        dest, "0003_count_job_retries",
        "-- 0003 up: every restart of a job counts as a retry.\n"
        "CREATE FUNCTION job_count_retry() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "    NEW.\"retryCount\" := OLD.\"retryCount\" + 1;\n"
        "    RETURN NEW;\n"
        "END $$;\n"
        "CREATE TRIGGER job_count_retry BEFORE UPDATE OF status ON \"Job\"\n"
        "    FOR EACH ROW WHEN (NEW.status = 'PROCESSING' AND OLD.status IS DISTINCT FROM NEW.status)\n"
        "    EXECUTE FUNCTION job_count_retry();\n",
        "DROP TRIGGER job_count_retry ON \"Job\";\n"
        "DROP FUNCTION job_count_retry();\n")
    return dest


def foreign_key_without_cascade(dest: Path) -> Path:
    """Result.job_id references "Job" without ON DELETE CASCADE (Prisma's default onDelete is Restrict-like)."""
    _copy(dest)
    _replace(dest / TABLES / "up.sql", 'REFERENCES "Job"(id) ON DELETE CASCADE ON UPDATE CASCADE',
             'REFERENCES "Job"(id) ON UPDATE CASCADE')
    return dest


def no_foreign_key(dest: Path) -> Path:
    """Relations emulated by the client (Prisma relationMode = "prisma"): Result.job_id has no foreign key."""
    _copy(dest)
    _drop_lines(dest / TABLES / "up.sql", "CONSTRAINT \"Result_job_id_fkey\"")
    _replace(dest / TABLES / "up.sql", 'CONSTRAINT "Result_pkey" PRIMARY KEY (id),', 'CONSTRAINT "Result_pkey" PRIMARY KEY (id)')
    return dest


def serializable_without_retries(dest: Path) -> Path:
    """A migration makes SERIALIZABLE the database default "for safety"; the application does not retry, so
    concurrent updates of one row fail with serialization errors instead of queueing."""
    _copy(dest)
    _add_migration(
        dest, "0003_default_to_serializable_isolation",
        "DO $$ BEGIN\n"
        "    EXECUTE format('ALTER DATABASE %I SET default_transaction_isolation = %L', current_database(),\n"
        "                   'serializable');\n"
        "END $$;\n",
        "DO $$ BEGIN\n"
        "    EXECUTE format('ALTER DATABASE %I RESET default_transaction_isolation', current_database());\n"
        "END $$;\n")
    return dest


# --- WIL-1.2-015 -------------------------------------------------------------------------------------------

def without_job_id_index(dest: Path) -> Path:
    """The index migration forgets "Result"(job_id): lookups by job and cascade deletes scan Result."""
    _copy(dest)
    for script in ("up.sql", "down.sql"):
        _drop_lines(dest / INDEXES / script, '"Result_job_id_idx"')
    return dest


def without_session_id_index(dest: Path) -> Path:
    """The index migration forgets "Job"("sessionId"): the jobs of a session are found by a sequential scan."""
    _copy(dest)
    for script in ("up.sql", "down.sql"):
        _drop_lines(dest / INDEXES / script, '"Job_sessionId_idx"')
    return dest


def retry_of_without_index(dest: Path) -> Path:
    """A later migration links a retry to its original job ("retryOfId" -> "Job") and forgets the index on it."""
    _copy(dest)
    _add_migration(
        dest, "0003_add_job_retry_of",
        "ALTER TABLE \"Job\" ADD COLUMN \"retryOfId\" uuid\n"
        "    CONSTRAINT \"Job_retryOfId_fkey\" REFERENCES \"Job\"(id) ON DELETE SET NULL ON UPDATE CASCADE;\n",
        "ALTER TABLE \"Job\" DROP COLUMN \"retryOfId\";\n")
    return dest
