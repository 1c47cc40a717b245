"""Planted defects of the ``db_pool`` role (WIL-1.2-002) that break the singleton, the
connect timeout, reload survival or exit cleanup: ports of common ways to get the plan's
``globalThis.prisma`` pattern wrong in Python.

Each is otherwise the reference (max 10, ``prepare_threshold=None``, PGAPPNAME honoured),
so only the planted defect can fail.
"""

from __future__ import annotations

import atexit
import sys
import threading
import types
from typing import Any

from psycopg_pool import ConnectionPool

from harness.db.pool import PoolSettings, build_pool


def _holder(key: str) -> Any:
    """A registry module in sys.modules: survives importlib.reload, like the reference's."""
    holder: Any = sys.modules.get(key)
    if holder is None:
        fresh: Any = types.ModuleType(key)
        fresh.lock, fresh.pool = threading.Lock(), None
        holder = sys.modules.setdefault(key, fresh)
    return holder


def get_pool_per_call() -> ConnectionPool:
    """A "factory" that builds a fresh pool at every call (each closed at exit): no singleton at all."""
    pool = build_pool(PoolSettings.from_env())
    atexit.register(pool.close)
    return pool


def get_pool_racy() -> ConnectionPool:
    """Check-then-set without a lock: every thread that calls before the first pool is stored
    builds its own (the race the reference's lock closes). Opening a pool starts its worker
    threads, which yields the GIL to the other callers inside the window."""
    holder = _holder("_defect_pool_racy")
    pool: ConnectionPool | None = holder.pool
    if pool is None:
        pool = build_pool(PoolSettings.from_env())
        atexit.register(pool.close)
        holder.pool = pool
    return pool


_pool: ConnectionPool | None = None  # module global: importlib.reload re-executes this line
_lock = threading.Lock()


def get_pool_module_global() -> ConnectionPool:
    """A correct, locked singleton, but kept in a module global (the plan's dev-mode bug without
    ``globalThis``): a hot reload forgets the pool and the next call builds a second one."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = build_pool(PoolSettings.from_env())
            atexit.register(_pool.close)
        return _pool


def get_pool_timeout_confused() -> ConnectionPool:
    """``timeout=20`` on the pool (how long a caller waits for a free connection) taken for the
    connection timeout: libpq gets no ``connect_timeout`` and waits ~130 s for a dead server."""
    holder = _holder("_defect_pool_timeout")
    with holder.lock:
        if holder.pool is None:
            s = PoolSettings.from_env()
            kwargs = {k: v for k, v in s.connect_kwargs().items() if k != "connect_timeout"}
            holder.pool = ConnectionPool(s.url, min_size=s.min_size, max_size=s.max_size, kwargs=kwargs,
                                         timeout=20, open=True)
            atexit.register(holder.pool.close)
        return holder.pool  # type: ignore[no-any-return]


def get_pool_no_cleanup() -> ConnectionPool:
    """The singleton without an exit hook (the plan's ``beforeExit`` + ``$disconnect`` left out)."""
    holder = _holder("_defect_pool_no_cleanup")
    with holder.lock:
        if holder.pool is None:
            holder.pool = build_pool(PoolSettings.from_env())
        return holder.pool  # type: ignore[no-any-return]
