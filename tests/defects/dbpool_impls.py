"""Planted defects of the ``db_pool`` role (WIL-1.2-002): the reference with one thing wrong.

Each keeps the singleton, reload safety, exit cleanup, connect timeout and
``prepare_threshold=None`` of harness.db.pool, so only the planted defect can fail.
"""

from __future__ import annotations

import atexit
import sys
import threading
import types
from collections.abc import Callable
from typing import Any

from psycopg_pool import ConnectionPool

from harness.db.pool import PoolSettings


def _singleton(key: str, build: Callable[[PoolSettings], ConnectionPool]) -> ConnectionPool:
    holder: Any = sys.modules.get(key)
    if holder is None:
        fresh: Any = types.ModuleType(key)
        fresh.lock, fresh.pool = threading.Lock(), None
        holder = sys.modules.setdefault(key, fresh)
    with holder.lock:
        if holder.pool is None:
            holder.pool = build(PoolSettings.from_env())
            atexit.register(holder.pool.close)
        return holder.pool  # type: ignore[no-any-return]


def get_pool_unbounded() -> ConnectionPool:
    """No max_size: psycopg_pool then caps the pool at min_size (4), not the sprint's 10."""
    return _singleton("_defect_pool_unbounded", lambda s: ConnectionPool(
        s.url, kwargs=s.connect_kwargs(), timeout=s.checkout_timeout, open=True))


def get_pool_startup_options() -> ConnectionPool:
    """The 60 s statement timeout sent as a startup `options` parameter (PgBouncer 1.18 rejects it)."""
    return _singleton("_defect_pool_options", lambda s: ConnectionPool(
        s.url, min_size=s.min_size, max_size=s.max_size, timeout=s.checkout_timeout, open=True,
        kwargs={**s.connect_kwargs(), "options": "-c statement_timeout=60000"}))
