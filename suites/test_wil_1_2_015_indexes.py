"""WIL-1.2-015 Database index verification: indexes exist (by columns), the planner uses them, FKs are covered.

One scratch database per module (per xdist worker), migrated with the set under test and seeded once
with 10k jobs in 1k sessions (10 per session) and 10k results (realistic selectivity), then ANALYZEd.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from harness.db.indexes import explain, foreign_keys, index_nodes, leading_with, node_summary, unindexed_foreign_keys
from harness.signoff.evidence import Evidence

from fixtures.dbschema import ScratchDatabase

JOBS = 10_000
SESSIONS = 1_000

SEED = f"""
INSERT INTO "Job" ("sessionId", "fileName", "fileType", "fileSize", status, "createdAt", "updatedAt")
SELECT 'session-' || (g % {SESSIONS}), 'file-' || g || '.pdf', 'application/pdf', 1024 + g % 5000,
       (ARRAY['PENDING', 'PROCESSING', 'COMPLETED', 'FAILED'])[1 + g % 4]::job_status,
       now() - g * interval '1 minute', now() - g * interval '1 minute'
FROM generate_series(1, {JOBS}) AS g;
INSERT INTO "Result" (job_id, format, content, created_at)
SELECT id, 'MARKDOWN', '# result of ' || "fileName", "createdAt" + interval '1 second' FROM "Job";
ANALYZE "Job";
ANALYZE "Result";
"""


@pytest.fixture(scope="module")
def seeded(migrated_db: ScratchDatabase) -> Iterator[psycopg.Connection[Any]]:
    """The migrated scratch database with ≥ 10k rows per table, analysed; one connection for the module."""
    with migrated_db.connect() as conn:
        conn.execute(SEED.encode())
        yield conn


def _index_check(conn: psycopg.Connection[Any], table: str, column: str, evidence: Evidence) -> None:
    found = leading_with(conn, table, column)
    evidence.table(f'indexes of "{table}" leading with "{column}" (pg_index/pg_attribute)', [i.as_row() for i in found])
    assert found, f'no index on "{table}" leads with "{column}"; add CREATE INDEX ON "{table}" ("{column}") in a migration'
    assert any(i.valid for i in found), f'every index leading with "{table}"."{column}" is INVALID: rebuild it (REINDEX)'


@pytest.mark.criterion("WIL-1.2-015/AC1")
def test_index_on_job_id(seeded: psycopg.Connection[Any], evidence: Evidence) -> None:
    """A valid index leads with "Result".job_id."""
    _index_check(seeded, "Result", "job_id", evidence)


@pytest.mark.criterion("WIL-1.2-015/AC2")
@pytest.mark.parametrize(("table", "column"), [("Job", "createdAt"), ("Result", "created_at")])
def test_index_on_created_at(seeded: psycopg.Connection[Any], table: str, column: str, evidence: Evidence) -> None:
    """A valid index leads with each created-at column ("Job"."createdAt", "Result".created_at)."""
    _index_check(seeded, table, column, evidence)


@pytest.mark.criterion("WIL-1.2-015/AC3")
def test_index_on_session_id(seeded: psycopg.Connection[Any], evidence: Evidence) -> None:
    """A valid index leads with "Job"."sessionId"."""
    _index_check(seeded, "Job", "sessionId", evidence)


def _params(conn: psycopg.Connection[Any], shape: str) -> tuple[object, ...]:
    if shape == "jobs of a session":
        return ("session-42",)
    if shape == "results of a job":
        row = conn.execute("""SELECT id FROM "Job" WHERE "sessionId" = 'session-7' LIMIT 1""").fetchone()
        assert row is not None
        return (row[0],)
    if shape == "recent results":
        return (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2),)  # ~120 of 10k rows
    return ()


QUERY_SHAPES = [
    pytest.param("jobs of a session", 'SELECT * FROM "Job" WHERE "sessionId" = %s', "Job", "sessionId",
                 id="session"),
    pytest.param("latest jobs", 'SELECT * FROM "Job" ORDER BY "createdAt" DESC LIMIT 20', "Job", "createdAt",
                 id="latest"),
    pytest.param("results of a job", 'SELECT * FROM "Result" WHERE job_id = %s', "Result", "job_id", id="job_id"),
    pytest.param("recent results", 'SELECT * FROM "Result" WHERE created_at >= %s', "Result", "created_at",
                 id="recent"),
]


@pytest.mark.criterion("WIL-1.2-015/AC4")
@pytest.mark.parametrize(("shape", "query", "table", "column"), QUERY_SHAPES)
def test_query_shape_uses_its_index(seeded: psycopg.Connection[Any], shape: str, query: str, table: str,
                                    column: str, evidence: Evidence) -> None:
    """With 10k rows per table after ANALYZE, EXPLAIN (ANALYZE, FORMAT JSON) of the real query shape reads an index that
    leads with the filtered/sorted column (bitmap plans: the child Bitmap Index Scan names it)."""
    counts = seeded.execute('SELECT (SELECT count(*) FROM "Job"), (SELECT count(*) FROM "Result")').fetchone()
    assert counts is not None and min(counts) >= 10_000, f"seed too small for a meaningful plan: {counts}"
    top = explain(seeded, query, _params(seeded, shape))
    plan = top["Plan"]
    used = index_nodes(plan)
    expected = {i.name for i in leading_with(seeded, table, column) if i.valid}
    evidence.text(f"plan of {shape}: {query.replace('%s', '$1')}", "\n".join(node_summary(plan))
                  + f"\nExecution Time: {top.get('Execution Time')} ms; rows: Job={counts[0]} Result={counts[1]}")
    evidence.json(f"index nodes of {shape}", {"used": used, "acceptable (lead with the column)": sorted(expected)})
    assert expected, f'no valid index leads with "{table}"."{column}", so "{shape}" cannot use one'
    chosen = {n["index"] for n in used}
    assert chosen & expected, (f'"{shape}" did not use an index leading with "{table}"."{column}" '
                               f"(plan reads {sorted(i for i in chosen if i) or 'no index'}); see the plan evidence")


@pytest.mark.criterion("WIL-1.2-015/AC5")
def test_every_foreign_key_has_a_covering_index(seeded: psycopg.Connection[Any], evidence: Evidence) -> None:
    """No foreign key without a valid, non-partial index whose leading columns are the key's columns."""
    fks = foreign_keys(seeded)
    missing = unindexed_foreign_keys(seeded)
    evidence.table("foreign keys", fks)
    evidence.table("foreign keys without a covering index (must be none)", missing)
    assert fks, "no foreign key found: Result.job_id must reference Job (see WIL-1.2-003/AC3)"
    assert not missing, ("foreign keys without a covering index (deletes on the referenced table scan the "
                         f"referencing one): {missing}")
