"""ensure_statement_timeout provisions the 60 s limit as an ordinary role, on a disposable stack."""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from harness.db.pool import ensure_statement_timeout
from harness.infra import LocalStack


def test_role_setting_reaches_new_sessions_on_both_paths(disposable_stack: Callable[..., LocalStack]) -> None:
    """Without the setting the role runs unlimited; after it, new direct and pooled sessions see 60s."""
    stack = disposable_stack(statement_timeout=None).stack
    assert stack is not None

    def show(url: str) -> str:
        with psycopg.connect(url, autocommit=True, prepare_threshold=None, connect_timeout=10) as conn:
            row = conn.execute("SHOW statement_timeout").fetchone()
        return str(row[0]) if row else ""

    assert show(stack.database_url) == "0"
    assert ensure_statement_timeout(stack.database_url, "60s") == "1min"
    assert show(stack.database_url) == "1min"
    # PgBouncer opened no server connection yet for this role, so its first one is new too.
    assert show(stack.database_pool_url) == "1min"
