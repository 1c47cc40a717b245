"""Pure logic of the migration set and of schema-dump normalisation (no server needed)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from harness.db.migration_files import DEFAULT_DIR, MigrationSetError, discover, name_problems
from harness.db.schema_snapshot import normalize_dump


def _migration(root: Path, name: str, up: str = "SELECT 1;", down: str | None = "SELECT 1;") -> None:
    (root / name).mkdir(parents=True)
    (root / name / "up.sql").write_text(up)
    if down is not None:
        (root / name / "down.sql").write_text(down)


def test_reference_set_is_ordered_and_descriptive() -> None:
    """The shipped migrations are found in order, with descriptive names and SHA-256 checksums of up.sql."""
    found = discover(DEFAULT_DIR)
    assert [m.number for m in found] == sorted(m.number for m in found)
    assert all(not name_problems(m.name) for m in found)
    first = found[0]
    assert first.checksum == hashlib.sha256(first.up_path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", ["0001_init", "0002_migration", "0003_20240101120000_x", "0004_update_schema"])
def test_vague_names_are_reported(name: str) -> None:
    """Single words, vague words and timestamps are not descriptive."""
    assert name_problems(name)


def test_descriptive_name_passes() -> None:
    assert name_problems("0001_create_job_and_result_tables") == []
    assert name_problems("migration1") == ["'migration1' does not match NNNN_snake_words"]


def test_missing_down_script_is_refused(tmp_path: Path) -> None:
    """Every migration needs a down.sql; the error names the directory."""
    _migration(tmp_path, "0001_create_things", down=None)
    with pytest.raises(MigrationSetError, match="0001_create_things: missing down.sql"):
        discover(tmp_path)


def test_duplicate_numbers_and_bad_names_are_refused(tmp_path: Path) -> None:
    _migration(tmp_path, "0001_create_things")
    _migration(tmp_path, "0001_create_others")
    with pytest.raises(MigrationSetError, match="share the number 0001"):
        discover(tmp_path)
    other = tmp_path / "other"
    _migration(other, "Migration1")
    with pytest.raises(MigrationSetError, match="NNNN_snake_words"):
        discover(other)


def test_empty_or_missing_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "__pycache__").mkdir()
    with pytest.raises(MigrationSetError, match="holds no migration"):
        discover(tmp_path)
    with pytest.raises(MigrationSetError, match="does not exist"):
        discover(tmp_path / "nope")


DUMP = """--
-- PostgreSQL database dump
--

\\restrict AbCdEf123

SET statement_timeout = 0;

--
-- Name: job_status; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.job_status AS ENUM ('PENDING');

--
-- Name: _migration_history; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public._migration_history (id integer);

--
-- PostgreSQL database dump complete
--

\\unrestrict AbCdEf123
"""


def test_dump_normalisation_strips_restrict_keys_and_bookkeeping() -> None:
    """Random \\restrict keys and the runner's own objects disappear; everything else stays."""
    out = normalize_dump(DUMP)
    assert "restrict" not in out and "_migration_history" not in out
    assert "CREATE TYPE public.job_status" in out and "dump complete" in out
    assert normalize_dump(DUMP.replace("AbCdEf123", "Zz9")) == out
