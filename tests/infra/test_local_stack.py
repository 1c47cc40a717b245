"""The local provider: real servers up with TLS, and nothing left behind."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from harness.infra import LocalStack, ServerStartError
from harness.infra.process import ServerProcess
from harness.infra.stack import Stack


def alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_start_stop_leaves_no_process_and_no_directory() -> None:
    """Three servers answer over TLS; stop() ends them and removes the private directory."""
    local = LocalStack()
    stack = local.start()
    pids = [s.process.pid for s in (local.postgres, local.pgbouncer, local.redis) if s.process]
    try:
        assert all(alive(p) for p in pids) and len(pids) == 3
        with psycopg.connect(stack.database_url, autocommit=True) as conn:
            assert conn.pgconn.ssl_in_use
        assert Stack.from_json(stack.to_json()) == stack
        assert set(stack.versions) == {"postgres", "pgbouncer", "redis"}
    finally:
        local.stop()
    assert not any(alive(p) for p in pids)
    assert not local.root.exists()


def test_a_server_that_dies_at_start_reports_its_log(tmp_path: Path) -> None:
    """A process exiting during start-up raises ServerStartError with the log's tail and a remedy."""
    proc = ServerProcess("fake-server", ["/bin/sh", "-c", "echo 'FATAL: bad config line 3' >&2; exit 3"],
                         log_path=tmp_path / "fake.log")
    with pytest.raises(ServerStartError) as info:
        proc.start(lambda: False, timeout=5)
    text = str(info.value)
    assert "exited with code 3" in text and "FATAL: bad config line 3" in text and "How to fix" in text


def test_a_server_that_never_gets_ready_is_stopped(tmp_path: Path) -> None:
    """Readiness has a deadline; the process is stopped when it passes."""
    proc = ServerProcess("sleeper", ["/bin/sleep", "30"], log_path=tmp_path / "s.log")
    with pytest.raises(ServerStartError, match="did not become ready"):
        proc.start(lambda: False, timeout=0.3)
    assert not proc.running


def test_pause_freezes_existing_postgres_backends_too() -> None:
    """pause() stops the backends as well (they leave the process group with setsid): a query on a warm
    connection hangs until resume()."""
    import threading

    local = LocalStack()
    stack = local.start()
    try:
        with psycopg.connect(stack.database_url, autocommit=True) as conn:
            conn.execute("SELECT 1")
            assert local.postgres.process is not None
            local.postgres.process.pause()
            done = threading.Event()
            worker = threading.Thread(target=lambda: (conn.execute("SELECT 1"), done.set()), daemon=True)
            worker.start()
            try:
                assert not done.wait(0.5), "the backend answered while its server was paused"
            finally:
                local.postgres.process.resume()
            assert done.wait(10), "the query did not complete after resume()"
    finally:
        local.stop()
