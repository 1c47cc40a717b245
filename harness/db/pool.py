"""The process-wide database pool (WIL-1.2-002): the Python form of the plan's Prisma singleton.

Contract of the ``db_pool`` role (``harness.db.pool:get_pool``): a zero-argument,
module-level factory that returns the same ``psycopg_pool.ConnectionPool`` (or an
object with its surface: ``connection()``, ``get_stats()``, ``conninfo``, ``kwargs``,
``close()``) for the whole process. At its first call it reads:

- ``DATABASE_POOL_URL``, falling back to ``DATABASE_URL`` (the plan's precedence);
- ``DATABASE_CONNECT_TIMEOUT``: libpq ``connect_timeout`` in seconds (default 20);
- ``PGAPPNAME`` is honoured: the pool only sets ``fallback_application_name``.

Why each setting:

- ``max_size=10``: psycopg_pool's ``max_size`` defaults to ``min_size`` (4), not 10.
- ``connect_timeout=20``: libpq's, per connection attempt (psycopg waits 130 s if unset).
- ``prepare_threshold=None``: PgBouncer 1.18 in transaction mode cannot keep
  protocol-level prepared statements ("prepared statement _pg3_0 already exists").
- The 60 s statement timeout is a *server-side role setting* (see
  :func:`ensure_statement_timeout`). A startup ``options=-c statement_timeout=...``
  works on PostgreSQL but PgBouncer 1.18 rejects it ("unsupported startup parameter").
- The instance lives in a holder module registered in ``sys.modules`` that
  ``importlib.reload`` never re-executes: the analogue of the plan's ``globalThis.prisma``.
- ``atexit`` closes the pool, so connections end with a protocol Terminate rather
  than a dropped socket (the plan's ``beforeExit`` + ``$disconnect``).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

__all__ = [
    "PoolSettings", "build_pool", "close_pool", "ensure_statement_timeout", "get_pool", "pool_stats",
]

#: Name of the holder module that survives reloads of this one.
HOLDER_NAME = "_harness_db_pool_holder"
DEFAULT_APPLICATION_NAME = "docling-app"


class PoolConfigurationError(RuntimeError):
    """The environment does not say where the database is."""


@dataclass(frozen=True)
class PoolSettings:
    """Everything that shapes the pool. Defaults are the sprint's requirements."""

    url: str
    max_size: int = 10
    min_size: int = 2  # a couple of warm connections; the rest open on demand
    connect_timeout: int = 20  # seconds, libpq; 2 is libpq's floor
    checkout_timeout: float = 30.0  # seconds a caller waits for a free pooled connection
    max_idle: float = 300.0
    application_name: str = DEFAULT_APPLICATION_NAME

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> PoolSettings:
        """``DATABASE_POOL_URL`` > ``DATABASE_URL``; ``DATABASE_CONNECT_TIMEOUT`` > 20."""
        env = os.environ if env is None else env
        url = env.get("DATABASE_POOL_URL") or env.get("DATABASE_URL")
        if not url:
            raise PoolConfigurationError(
                "neither DATABASE_POOL_URL nor DATABASE_URL is set; checked the process environment. "
                "Set DATABASE_POOL_URL to the PgBouncer URL (or DATABASE_URL for a direct connection)."
            )
        raw = env.get("DATABASE_CONNECT_TIMEOUT", "20")
        try:
            timeout = int(raw)
        except ValueError as exc:
            raise PoolConfigurationError(
                f"DATABASE_CONNECT_TIMEOUT must be whole seconds (got {raw!r}); unset it to use 20"
            ) from exc
        return cls(url=url, connect_timeout=max(timeout, 2))

    def connect_kwargs(self) -> dict[str, Any]:
        """Arguments for every ``psycopg.connect`` the pool makes."""
        return {
            "connect_timeout": self.connect_timeout,
            "prepare_threshold": None,
            # fallback_: PGAPPNAME or an application_name in the URL still win.
            "fallback_application_name": self.application_name,
        }


def build_pool(settings: PoolSettings) -> ConnectionPool:
    """A new, opened pool. The only place a pool is constructed (the singleton uses it)."""
    return ConnectionPool(
        settings.url,
        min_size=settings.min_size,
        max_size=settings.max_size,
        kwargs=settings.connect_kwargs(),
        timeout=settings.checkout_timeout,
        max_idle=settings.max_idle,
        check=ConnectionPool.check_connection,  # a server restart is noticed at checkout
        name="harness-db-pool",
        open=True,  # explicit: psycopg_pool warns when it is left implicit
    )


class _Holder(types.ModuleType):
    """The registry module's shape (created once per process, never reloaded)."""

    lock: threading.Lock
    pool: ConnectionPool | None
    atexit_registered: bool


def _holder() -> _Holder:
    holder = sys.modules.get(HOLDER_NAME)
    if holder is None:
        fresh = _Holder(HOLDER_NAME, "Process-wide state of harness.db.pool (survives reloads).")
        fresh.lock = threading.Lock()
        fresh.pool = None
        fresh.atexit_registered = False
        # setdefault: two threads racing here still end up sharing one holder.
        holder = sys.modules.setdefault(HOLDER_NAME, fresh)
    # After a reload _Holder is a new class; the instance is the old one: same shape.
    return cast(_Holder, holder)


def get_pool() -> ConnectionPool:
    """The process-wide pool, created on first use from the environment."""
    holder = _holder()
    pool = holder.pool
    if pool is not None and not pool.closed:
        return pool
    with holder.lock:
        pool = holder.pool
        if pool is None or pool.closed:
            pool = build_pool(PoolSettings.from_env())
            holder.pool = pool
            if not holder.atexit_registered:
                # Registered once per process, from a function that looks the pool up
                # at exit, so reloads neither duplicate nor orphan the hook.
                atexit.register(_close_at_exit)
                holder.atexit_registered = True
        return pool


def close_pool(timeout: float = 5.0) -> None:
    """Close the pool (idempotent); the next ``get_pool()`` builds a new one."""
    holder = _holder()
    with holder.lock:
        pool, holder.pool = holder.pool, None
    if pool is not None and not pool.closed:
        pool.close(timeout=timeout)


def _close_at_exit() -> None:
    # Looked up by name: after a reload this still reaches the live module's holder.
    close_pool(timeout=5.0)


def pool_stats() -> dict[str, int]:
    """Counters for monitoring (``pool_size``, ``pool_available``, ``requests_waiting``...)."""
    return dict(get_pool().get_stats())


def ensure_statement_timeout(direct_url: str, value: str = "60s") -> str:
    """Provision the server-side statement timeout for the role of ``direct_url``.

    ``ALTER ROLE CURRENT_USER SET statement_timeout`` needs no superuser: a role may
    change its own settings. It applies to *new* sessions; PgBouncer's existing server
    connections keep the old value until they are recycled (``RECONNECT`` on the
    console, or ``server_lifetime``). Use the direct URL: this is DDL, not app traffic.
    Returns the value a new session sees.
    """
    with psycopg.connect(direct_url, autocommit=True, connect_timeout=20) as conn:
        conn.execute(sql.SQL("ALTER ROLE CURRENT_USER SET statement_timeout = {}").format(sql.Literal(value)))
    with psycopg.connect(direct_url, autocommit=True, connect_timeout=20) as conn:
        row = conn.execute("SHOW statement_timeout").fetchone()
    return str(row[0]) if row else ""
