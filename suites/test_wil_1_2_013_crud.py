"""WIL-1.2-013 Database operations: CRUD, transactions and concurrency on Job and Result.

Every check runs on BOTH paths: the direct URL and the pooled URL (PgBouncer, transaction mode,
``prepare_threshold=None``), in a migrated scratch database. Tests isolate by a unique sessionId.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from harness.signoff.evidence import Evidence

from fixtures.dbschema import ScratchDatabase

THREADS = 20
PER_THREAD = 10
Connect = Callable[[], psycopg.Connection[Any]]


@pytest.fixture(params=["direct", "pooled"])
def connect(request: pytest.FixtureRequest, migrated_db: ScratchDatabase) -> Connect:
    """Opens a new autocommit connection on the chosen path of the migrated scratch database."""
    pooled = request.param == "pooled"
    try:
        migrated_db.connect(pooled=pooled).close()
    except psycopg.OperationalError as exc:
        pytest.skip(f"the {request.param} URL does not reach the scratch database on this target: {exc}")
    return lambda: psycopg.connect(migrated_db.pool_url if pooled else migrated_db.url, autocommit=True,
                                   connect_timeout=10, row_factory=dict_row,
                                   prepare_threshold=None if pooled else 5)


@pytest.fixture
def conn(connect: Connect) -> Iterator[psycopg.Connection[Any]]:
    with connect() as c:
        yield c


@pytest.fixture
def session_id() -> str:
    return f"crud-{uuid.uuid4().hex}"


def _job(conn: psycopg.Connection[Any], session_id: str, name: str = "test.pdf", size: int = 1024) -> dict[str, Any]:
    row: dict[str, Any] | None = conn.execute(
        'INSERT INTO "Job" ("sessionId", "fileName", "fileType", "fileSize") VALUES (%s, %s, %s, %s) RETURNING *',
        (session_id, name, "application/pdf", size)).fetchone()
    assert row is not None
    return row


def _result(conn: psycopg.Connection[Any], job_id: object, content: str = "# done") -> dict[str, Any]:
    row: dict[str, Any] | None = conn.execute(
        'INSERT INTO "Result" (job_id, content) VALUES (%s, %s) RETURNING *', (job_id, content)).fetchone()
    assert row is not None
    return row


def _count(conn: psycopg.Connection[Any], session_id: str) -> int:
    row = conn.execute('SELECT count(*) AS n FROM "Job" WHERE "sessionId" = %s', (session_id,)).fetchone()
    assert row is not None
    return int(row["n"])


@pytest.mark.criterion("WIL-1.2-013/AC1")
def test_create_applies_defaults(conn: psycopg.Connection[Any], session_id: str, evidence: Evidence) -> None:
    """Inserting only the required fields gives a uuid id, status PENDING, retryCount 0, timestamps now; a Result
    gets format MARKDOWN and created_at now."""
    now = conn.execute("SELECT now() AS now").fetchone()["now"]  # type: ignore[index]
    job = _job(conn, session_id)
    result = _result(conn, job["id"])
    evidence.json("created Job and Result", {"job": job, "result": result})
    assert isinstance(job["id"], uuid.UUID) and job["status"] == "PENDING" and job["retryCount"] == 0
    assert job["errorMessage"] is None and job["createdAt"] == job["updatedAt"]
    assert abs((job["createdAt"] - now).total_seconds()) < 60, "createdAt default is not the server's now()"
    assert result["format"] == "MARKDOWN" and result["job_id"] == job["id"] and result["created_at"] is not None


@pytest.mark.criterion("WIL-1.2-013/AC2")
def test_read_returns_exactly_what_was_written(connect: Connect, session_id: str, evidence: Evidence) -> None:
    """Reads by id and by session (on a fresh connection) return exactly the written rows, nothing more."""
    with connect() as writer:
        written = [_job(writer, session_id, f"f{i}.pdf", 100 + i) for i in range(3)]
        results = {j["id"]: _result(writer, j["id"], f"# {j['fileName']}") for j in written}
        _job(writer, session_id + "-other")  # a neighbour that must not show up
    with connect() as reader:
        by_id = reader.execute('SELECT * FROM "Job" WHERE id = %s', (written[1]["id"],)).fetchall()
        by_session = reader.execute('SELECT * FROM "Job" WHERE "sessionId" = %s ORDER BY "fileName"',
                                    (session_id,)).fetchall()
        result = reader.execute('SELECT * FROM "Result" WHERE job_id = %s', (written[2]["id"],)).fetchall()
    evidence.json("read back", {"by_id": by_id, "by_session_ids": [r["id"] for r in by_session]})
    assert by_id == [written[1]]
    assert by_session == written
    assert result == [results[written[2]["id"]]]


@pytest.mark.criterion("WIL-1.2-013/AC3")
def test_update_changes_one_field_of_one_row(conn: psycopg.Connection[Any], session_id: str,
                                             evidence: Evidence) -> None:
    """UPDATE of status on one job changes that field of that row only; its neighbour is untouched."""
    target, neighbour = _job(conn, session_id, "a.pdf"), _job(conn, session_id, "b.pdf")
    cur = conn.execute('UPDATE "Job" SET status = %s WHERE id = %s', ("PROCESSING", target["id"]))
    assert cur.rowcount == 1
    after = {r["id"]: r for r in conn.execute('SELECT * FROM "Job" WHERE "sessionId" = %s', (session_id,))}
    changed = {k for k in target if after[target["id"]][k] != target[k]}
    evidence.json("fields changed by the update", {"target": sorted(changed), "status": after[target["id"]]["status"]})
    assert changed == {"status"} and after[target["id"]]["status"] == "PROCESSING"
    assert after[neighbour["id"]] == neighbour, "the update touched another row"


@pytest.mark.criterion("WIL-1.2-013/AC4")
def test_delete_removes_the_row_and_cascades(conn: psycopg.Connection[Any], session_id: str,
                                             evidence: Evidence) -> None:
    """Deleting a Result keeps its Job; deleting a Job removes it and (ON DELETE CASCADE) its Results only."""
    job, keep = _job(conn, session_id, "gone.pdf"), _job(conn, session_id, "kept.pdf")
    r1, _r2, kept_result = _result(conn, job["id"]), _result(conn, job["id"]), _result(conn, keep["id"])
    assert conn.execute('DELETE FROM "Result" WHERE id = %s', (r1["id"],)).rowcount == 1
    assert conn.execute('SELECT 1 FROM "Job" WHERE id = %s', (job["id"],)).fetchone(), "deleting a Result took its Job"
    deleted = conn.execute('DELETE FROM "Job" WHERE id = %s', (job["id"],)).rowcount
    left = conn.execute('SELECT count(*) AS n FROM "Result" WHERE job_id = %s', (job["id"],)).fetchone()
    remaining = conn.execute('SELECT j.id AS job, r.id AS result FROM "Job" j JOIN "Result" r ON r.job_id = j.id '
                             'WHERE j."sessionId" = %s', (session_id,)).fetchall()
    evidence.json("after delete", {"jobs_deleted": deleted, "results_left_for_deleted_job": left,
                                   "remaining": remaining})
    assert deleted == 1 and left == {"n": 0}, "the job's results were not removed with it"
    assert remaining == [{"job": keep["id"], "result": kept_result["id"]}]


@pytest.mark.criterion("WIL-1.2-013/AC5")
def test_commit_persists_and_rollback_leaves_nothing(connect: Connect, session_id: str, evidence: Evidence) -> None:
    """A committed transaction is seen by another connection; an uncommitted one is not; a rolled-back one
    (explicit, or by a failing statement) leaves no row behind."""
    committed, rolled_back, failed = session_id + "-commit", session_id + "-rollback", session_id + "-failed"
    with connect() as a, connect() as b:
        with a.transaction():
            job = _job(a, committed)
            _result(a, job["id"])
            seen_before_commit = _count(b, committed)
        seen_after_commit = _count(b, committed)
        with a.transaction(force_rollback=True):
            _job(a, rolled_back); _job(a, rolled_back)
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            with a.transaction():
                _job(a, failed)
                _result(a, uuid.uuid4())  # no such job: the whole transaction must go
        counts = {"uncommitted, seen by another connection": seen_before_commit,
                  "committed": seen_after_commit, "rolled back": _count(b, rolled_back),
                  "failed mid-transaction": _count(b, failed)}
        results = b.execute('SELECT count(*) AS n FROM "Result" WHERE job_id = %s', (job["id"],)).fetchone()
    evidence.json("rows per transaction outcome", counts)
    assert counts == {"uncommitted, seen by another connection": 0, "committed": 1, "rolled back": 0,
                      "failed mid-transaction": 0}
    assert results == {"n": 1}


def _in_threads(connect: Connect, work: Callable[[psycopg.Connection[Any]], object]) -> None:
    start = threading.Barrier(THREADS, timeout=60)

    def run(_: int) -> None:
        with connect() as c:
            start.wait()
            for _i in range(PER_THREAD):
                work(c)

    with ThreadPoolExecutor(THREADS) as pool:
        for f in [pool.submit(run, i) for i in range(THREADS)]:
            f.result(timeout=120)


@pytest.mark.criterion("WIL-1.2-013/AC6")
def test_concurrent_increments_and_inserts(connect: Connect, session_id: str, evidence: Evidence) -> None:
    """20 threads x 10 atomic increments of one row's retryCount lose no update; 20 x 10 concurrent inserts all land."""
    with connect() as c:
        job = _job(c, session_id)
    _in_threads(connect, lambda c: c.execute('UPDATE "Job" SET "retryCount" = "retryCount" + 1 WHERE id = %s',
                                             (job["id"],)))
    inserts = session_id + "-inserts"
    _in_threads(connect, lambda c: _job(c, inserts))
    with connect() as c:
        final = c.execute('SELECT "retryCount" FROM "Job" WHERE id = %s', (job["id"],)).fetchone()
        landed = c.execute('SELECT count(*) AS n, count(DISTINCT id) AS ids FROM "Job" WHERE "sessionId" = %s',
                           (inserts,)).fetchone()
    expected = THREADS * PER_THREAD
    evidence.json("concurrency", {"threads": THREADS, "per_thread": PER_THREAD, "retryCount": final,
                                  "inserted": landed, "expected": expected})
    assert final == {"retryCount": expected}, f"lost updates: {final} after {expected} increments"
    assert landed == {"n": expected, "ids": expected}, f"inserts lost or duplicated: {landed}"
