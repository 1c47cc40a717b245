"""WIL-1.2-002: the process-wide DB pool (the plan's Prisma client singleton).

The implementation under test is the ``db_pool`` role (default harness.db.pool:get_pool).
Checks that need a fresh process (first use, load, exit) run it in a child interpreter
configured only by the environment, exactly as an application starts.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import errors as pg_errors

from fixtures.dbpool import ROOT, PoolProbe, child_env, chosen_path, count_backends, probe_result, wait_until
from fixtures.listeners import SilentListener
from fixtures.dbpool_probe import effective_params
from harness.infra import Stack

EXPECTED_MAX = 10
EXPECTED_CONNECT_TIMEOUT = 20
EXPECTED_STATEMENT_TIMEOUT_S = 60.0
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def seconds(setting: str) -> float:
    """A PostgreSQL duration as displayed by SHOW ('1min', '60s', '500ms', '0')."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", setting)
    if not match:
        raise AssertionError(f"cannot read the duration {setting!r}")
    return float(match.group(1)) * _UNITS[match.group(2) or "ms"]


def _read_tagged(proc: subprocess.Popen[str], tag: str, timeout: float) -> str:
    """The first stdout line starting with ``tag`` (bounded wait)."""
    found: list[str] = []

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(tag + " "):
                found.append(line)
                return

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    thread.join(timeout)
    if not found:
        proc.kill()
        _, err = proc.communicate(timeout=10)
        raise AssertionError(f"the child never printed {tag} within {timeout} s; stderr:\n{err[-2000:]}")
    return found[0]


@pytest.mark.criterion("WIL-1.2-002/AC1")
def test_same_pool_across_calls_and_imports(app_pool: Callable[[], Any], evidence: Any) -> None:
    """Repeated calls and a second import of the module hand out the very same pool object."""
    first, second = app_pool(), app_pool()
    module = importlib.import_module(app_pool.__module__)
    again = getattr(module, app_pool.__name__)()
    evidence.json("pool identity", {"ids": [id(first), id(second), id(again)], "type": type(first).__name__})
    assert first is second is again, "get_pool() returned different objects: the pool is not a singleton"


@pytest.mark.criterion("WIL-1.2-002/AC1")
def test_first_use_from_many_threads_builds_one_pool(pool_probe: PoolProbe, stack: Stack, evidence: Any) -> None:
    """16 threads racing on the very first call of a fresh process still share one pool."""
    result = pool_probe.run("identity", child_env(DATABASE_POOL_URL=stack.database_pool_url,
                                                  DATABASE_URL=stack.database_url))
    evidence.json("first use from 16 threads", result)
    assert result["calls"] == 16, f"not every thread got a pool: {result}"
    assert result["distinct_ids_first_use"] == 1, f"racing first calls built {result['distinct_ids_first_use']} pools"
    assert result["same_after_second_import"], "a second import of the factory returned another pool"


@pytest.mark.criterion("WIL-1.2-002/AC2")
def test_concurrent_borrowers_never_open_more_than_ten(
    pool_probe: PoolProbe, stack: Stack, direct_conn: psycopg.Connection, app_name: str, evidence: Any
) -> None:
    """16 threads each holding a connection through pg_sleep(0.2): the server never sees more than 10."""
    env = child_env(DATABASE_URL=stack.database_url, PGAPPNAME=app_name)  # direct: every connection is a backend
    proc = subprocess.Popen(pool_probe.argv("load", 16, 2, 0.2), cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples: list[int] = []
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        samples.append(count_backends(direct_conn, app_name))
        time.sleep(0.02)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, f"the load child failed:\n{err[-3000:]}"
    result = probe_result(out)
    stats = result["stats"]
    evidence.json("load: 16 borrowers x 2 rounds x pg_sleep(0.2)", {
        "server_backends_peak": max(samples, default=0), "samples": len(samples), **result})
    assert not result["errors"], f"borrowers failed: {result['errors']}"
    assert max(samples, default=0) >= 2, (
        f"never saw the child's connections in pg_stat_activity (application_name={app_name}); "
        "the pool must honour PGAPPNAME (set fallback_application_name, not application_name)")
    assert max(samples) <= EXPECTED_MAX, f"the server saw {max(samples)} connections from one pool (limit 10)"
    assert stats.get("pool_max") == EXPECTED_MAX, f"pool_max is {stats.get('pool_max')}, expected 10"


@pytest.mark.criterion("WIL-1.2-002/AC3")
def test_connect_timeout_is_twenty_seconds(app_pool: Callable[[], Any], evidence: Any) -> None:
    """The connections the pool makes carry libpq connect_timeout=20."""
    params = effective_params(app_pool())
    evidence.json("effective connection parameters (password removed)", params)
    assert "connect_timeout" in params, "no connect_timeout: psycopg would wait 130 s for a dead server"
    assert int(params["connect_timeout"]) == EXPECTED_CONNECT_TIMEOUT


def _check_statement_timeout(result: dict[str, Any], path: str) -> None:
    assert seconds(str(result["statement_timeout"])) == EXPECTED_STATEMENT_TIMEOUT_S, (
        f"{path}: statement_timeout in effect is {result['statement_timeout']!r}, expected 60s. Provision it "
        "server-side: ALTER ROLE <app role> SET statement_timeout = '60s' (harness.db.pool.ensure_statement_timeout)")
    assert result["cancel"] == "57014", f"{path}: a pg_sleep(2) past a 300 ms limit was {result['cancel']}"
    assert result["cancel_elapsed_s"] < 1.8, f"{path}: cancellation took {result['cancel_elapsed_s']} s"


@pytest.mark.criterion("WIL-1.2-002/AC4")
def test_statement_timeout_in_effect_on_the_pooled_path(
    app_pool: Callable[[], Any], evidence: Any
) -> None:
    """Through the pool (DATABASE_POOL_URL): SHOW statement_timeout = 60s; a scaled limit cancels (57014)."""
    pool = app_pool()
    try:  # one direct attempt with the pool's parameters gives the real error, if any
        getattr(pool, "connection_class", psycopg.Connection).connect(pool.conninfo, **pool.kwargs).close()
    except psycopg.OperationalError as exc:
        pytest.fail(f"the pool cannot connect on the pooled path: {str(exc).strip()}")
    with pool.connection(timeout=10) as conn:
        row = conn.execute("SHOW statement_timeout").fetchone()
    result: dict[str, Any] = {"statement_timeout": row[0] if row else None}
    t0 = time.monotonic()
    try:
        with pool.connection(timeout=10) as conn, conn.transaction():
            conn.execute("SET LOCAL statement_timeout = '300ms'")
            conn.execute("SELECT pg_sleep(2)")
        result["cancel"] = "not cancelled"
    except pg_errors.QueryCanceled as exc:
        result["cancel"] = exc.sqlstate
    result["cancel_elapsed_s"] = round(time.monotonic() - t0, 3)
    evidence.json("pooled path", result)
    _check_statement_timeout(result, "pooled path")


@pytest.mark.criterion("WIL-1.2-002/AC4")
def test_statement_timeout_in_effect_on_the_direct_path(pool_probe: PoolProbe, stack: Stack, evidence: Any) -> None:
    """With only DATABASE_URL set (direct), the same factory's connections run under 60s too."""
    result = pool_probe.run("settings", child_env(DATABASE_URL=stack.database_url), "300ms")
    evidence.json("direct path", result)
    _check_statement_timeout(result, "direct path")


@pytest.mark.criterion("WIL-1.2-002/AC5")
def test_pool_survives_module_reload(app_pool: Callable[[], Any], evidence: Any) -> None:
    """importlib.reload (and a fresh re-import, as a dev server's hot reload does) keeps the pool."""
    before = app_pool()
    name, attr = app_pool.__module__, app_pool.__name__
    reloaded = importlib.reload(sys.modules[name])
    after_reload = getattr(reloaded, attr)()
    del sys.modules[name]  # a hot reloader drops the module and imports it again
    fresh = importlib.import_module(name)
    after_reimport = getattr(fresh, attr)()
    evidence.json("pool ids", {"before": id(before), "after_reload": id(after_reload),
                               "after_reimport": id(after_reimport), "old_reference": id(app_pool())})
    assert after_reload is before, "importlib.reload built a second pool: keep the instance outside the module"
    assert after_reimport is before, "re-importing the module built a second pool"
    assert app_pool() is before, "the factory imported before the reload now returns another pool"


@pytest.mark.criterion("WIL-1.2-002/AC6")
def test_child_process_exit_leaves_no_server_connection(
    pool_probe: PoolProbe, stack: Stack, direct_conn: psycopg.Connection, app_name: str, evidence: Any
) -> None:
    """A process that used the pool and returns normally leaves no backend, and its pool was closed at exit.

    Direct URL, so every pooled connection is a backend we can count by application_name.
    """
    proc = pool_probe.start("exit", child_env(DATABASE_URL=stack.database_url, PGAPPNAME=app_name), 3)
    try:
        _read_tagged(proc, "READY", timeout=30)
        while_running = count_backends(direct_conn, app_name)
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    t0 = time.monotonic()
    gone = wait_until(lambda: count_backends(direct_conn, app_name) == 0, timeout=5)
    left = count_backends(direct_conn, app_name)
    closed = probe_result(out, "ATEXIT")
    evidence.json("child exit", {"backends_while_running": while_running, "backends_after_exit": left,
                                 "seconds_to_zero": round(time.monotonic() - t0, 3), "exit_code": proc.returncode,
                                 "pool_closed_by_exit": closed.get("closed")})
    assert proc.returncode == 0, f"the child failed:\n{err[-2000:]}"
    assert while_running >= 3, f"expected the child's 3 connections, saw {while_running} (PGAPPNAME honoured?)"
    assert gone, f"{left} server connection(s) of the exited process still open after 5 s"
    assert closed.get("closed") is True, "the pool was not closed at interpreter exit (register an atexit hook)"


# Last in the module: the attempt started with the module has waited its 2 s beside the tests above.
SILENT_SERVER_TEST = "test_scaled_connect_timeout_fires_against_a_silent_server"


@pytest.fixture(scope="module", autouse=True)
def silent_server_attempt(request: pytest.FixtureRequest, stack: Stack) -> Iterator[subprocess.Popen[str] | None]:
    """The AC3 attempt against a listener that never answers, started as the module starts: it only
    waits out libpq's 2 s floor, so it runs beside the module's other tests instead of after them
    (the child measures its own elapsed time, from its connect call)."""
    if not any(item.name == SILENT_SERVER_TEST and item.module is request.module for item in request.session.items):
        yield None
        return
    listener = SilentListener()
    parts = urlsplit(stack.database_pool_url)
    netloc = parts.netloc.rsplit("@", 1)[0] + f"@127.0.0.1:{listener.port}"
    env = child_env(DATABASE_POOL_URL=urlunsplit(parts._replace(netloc=netloc)), DATABASE_CONNECT_TIMEOUT="2")
    probe = PoolProbe(chosen_path(request.config, "db_pool"))
    proc = subprocess.Popen(probe.argv("blackhole"), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
        listener.close()


@pytest.mark.criterion("WIL-1.2-002/AC3")
def test_scaled_connect_timeout_fires_against_a_silent_server(
    silent_server_attempt: subprocess.Popen[str] | None, evidence: Any
) -> None:
    """The same factory, given DATABASE_CONNECT_TIMEOUT=2 (libpq's floor), gives up after ~2 s."""
    proc = silent_server_attempt
    assert proc is not None
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError("the connection attempt to a silent server did not give up within 30 s") from exc
    assert proc.returncode == 0, f"probe 'blackhole' exited {proc.returncode}:\n{err[-3000:]}"
    result = probe_result(out)
    evidence.json("connect to a listener that never answers (scaled 20 s -> 2 s)", result)
    assert str(result["connect_timeout"]) == "2", "DATABASE_CONNECT_TIMEOUT did not reach the connection parameters"
    assert result["error"], "the connection attempt did not fail"
    assert 1.5 <= result["elapsed_s"] <= 4.5, f"gave up after {result['elapsed_s']} s, expected ~2 s"
