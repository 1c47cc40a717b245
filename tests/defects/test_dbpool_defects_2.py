"""More planted defects of the DB pool (WIL-1.2-002): each fails exactly the criteria it should.

The pool is judged in this process and in fresh child interpreters (fixtures/dbpool_probe.py),
so each defect below is a whole module-level factory (tests/defects/dbpool_singletons.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

from harness.infra import LocalStack, Stack
from harness.infra.external import write_env_file
from harness.infra.local import APP_USER
from tests.defects.signoff_expect import expect_failed as expect
from tests.signoff_run import run_signoff, statuses, with_status

# Inner sign-offs run without -n: in one process a suite is as fast as with two workers and uses half
# the CPU (CI runs tests/ with -n 2).


POOL_SUITE = "suites/test_wil_1_2_002_db_pool.py"
TASK = "WIL-1.2-002"
IMPLS = "tests.defects.dbpool_singletons"
SILENT_SERVER = "test_scaled_connect_timeout_fires_against_a_silent_server"


@pytest.mark.parametrize(
    ("factory", "opts", "failed", "message"),
    [
        # A second call already differs; a reload builds yet another pool.
        pytest.param("get_pool_per_call", (), {"AC1", "AC5"}, "the pool is not a singleton",
                     id="new-pool-per-call"),
        # Sequential calls agree; 16 threads racing on the first call build several pools.
        pytest.param("get_pool_racy", (), {"AC1"}, "racing first calls built", id="unlocked-first-use"),
        # In file order (one process, no xdist) the identity checks run before the reload; after it a
        # re-import rightly sees another pool too, so under xdist AC1 would depend on scheduling.
        pytest.param("get_pool_module_global", (), {"AC5"}, "importlib.reload built a second pool",
                     id="pool-in-module-global"),
        pytest.param("get_pool_no_cleanup", (), {"AC6"}, "not closed at interpreter exit",
                     id="no-atexit-close"),
        # The silent-server check would wait out its 30 s probe bound (no connect_timeout): deselected,
        # the configured-value check catches it.
        pytest.param("get_pool_timeout_confused", ("-k", f"not {SILENT_SERVER}"), {"AC3"},
                     "no connect_timeout", id="pool-timeout-taken-for-connect-timeout"),
    ],
)
def test_pool_defect(tmp_path: Path, factory: str, opts: tuple[str, ...], failed: set[str], message: str) -> None:
    """The suite, judging a defective factory, fails exactly the named criteria, for the stated reason."""
    report = run_signoff(tmp_path, POOL_SUITE, *opts, "--impl", f"db_pool={IMPLS}:{factory}")
    expect(report, TASK, failed)
    assert message in str(report["_stdout"]), str(report["_stdout"])[-3000:]


# --- WIL-1.2-012: PgBouncer, judged through --env-file of a defective disposable stack ---

BOUNCER_SUITE = "suites/test_wil_1_2_012_pgbouncer.py"
BOUNCER_TASK = "WIL-1.2-012"


def _with_user(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{quote(user)}:{quote(password, safe='')}@{parts.hostname}:{parts.port}"))


def pool_url_bypasses_pgbouncer(local: LocalStack, stack: Stack) -> Stack:
    """DATABASE_POOL_URL copied from DATABASE_URL with the host respelled (localhost), port left at
    PostgreSQL's: a different-looking URL that never reaches PgBouncer."""
    direct = urlsplit(stack.database_url)
    pool = urlunsplit(direct._replace(netloc=direct.netloc.replace("127.0.0.1", "localhost")))
    return replace(stack, database_pool_url=pool)


def monitoring_with_app_credentials(local: LocalStack, stack: Stack) -> Stack:
    """PGBOUNCER_ADMIN_URL given the application's role, which is in neither admin_users nor stats_users."""
    assert stack.pgbouncer_admin_url is not None
    return replace(stack, pgbouncer_admin_url=_with_user(stack.pgbouncer_admin_url, APP_USER, local.app_password))


@pytest.mark.parametrize(
    ("options", "edit", "opts", "failed", "message"),
    [
        # 20 server connections for 50 clients; the runbook still says 10, so AC5 notices too.
        pytest.param({"pool_size": 20}, None, (), {"AC3", "AC5"}, "backends from PgBouncer",
                     id="default-pool-size-20"),
        # Every behavioural check sees plain PostgreSQL; only the settings documentation still matches.
        pytest.param({}, pool_url_bypasses_pgbouncer, (), {"AC1", "AC2", "AC3", "AC4"}, "SHOW VERSION",
                     id="pooled-url-bypasses-pgbouncer"),
        # The console refuses the role. The other checks read the console through the bouncer_admin
        # fixture, whose refusal is a setup error, so only the statistics check is run.
        pytest.param({}, monitoring_with_app_credentials, ("-k", "test_pool_statistics_are_readable"), {"AC4"},
                     "cannot open the console", id="monitoring-without-console-rights"),
    ],
)
def test_pgbouncer_defect(
    tmp_path: Path, disposable_stack: Callable[..., LocalStack], options: dict[str, Any],
    edit: Callable[[LocalStack, Stack], Stack] | None, opts: tuple[str, ...], failed: set[str], message: str,
) -> None:
    """The PgBouncer suite, pointed at a stack with one defect, fails exactly the named criteria."""
    local = disposable_stack(**options)
    assert local.stack is not None
    stack = edit(local, local.stack) if edit else local.stack
    env_file = tmp_path / "stack.env"
    write_env_file(stack, env_file)
    report = run_signoff(tmp_path, BOUNCER_SUITE, *opts, "--env-file", str(env_file))
    expect(report, BOUNCER_TASK, failed)
    assert message in str(report["_stdout"]), str(report["_stdout"])[-3000:]


def test_pooled_url_that_is_the_direct_url_fails_ac1(tmp_path: Path,
                                                     disposable_stack: Callable[..., LocalStack]) -> None:
    """The plan's fallback (DATABASE_POOL_URL = DATABASE_URL, PgBouncer never reached): AC1 fails; the checks
    that need a PgBouncer skip with the reason, so the task cannot be signed off; the documentation check runs."""
    local = disposable_stack()
    assert local.stack is not None
    env_file = tmp_path / "stack.env"
    write_env_file(replace(local.stack, database_pool_url=local.stack.database_url), env_file)
    report = run_signoff(tmp_path, BOUNCER_SUITE, "--env-file", str(env_file))
    got = statuses(report, BOUNCER_TASK)
    assert with_status(report, BOUNCER_TASK, "failed") == {"AC1"}, got
    assert with_status(report, BOUNCER_TASK, "passed") | with_status(report, BOUNCER_TASK, "skipped") == (
        set(got) - {"AC1"}), got
    assert "same host:port as DATABASE_URL" in str(report["_stdout"])


# --- WIL-1.2-016: backup location ---

BACKUP_SUITE = "suites/test_wil_1_2_016_backup.py"


@pytest.mark.parametrize(
    ("command", "opts", "failed", "message"),
    [
        # The restore check starts from a backup in BACKUP_DIR too, so AC3 cannot be judged either.
        pytest.param("PER_DB_SUBDIR", (), {"AC2", "AC3"}, "found []",
                     id="backup-into-per-database-subdirectory"),
        # Only the default differs (every other check sets BACKUP_DIR): the location check, and the
        # retention checks as a control, need no database.
        pytest.param("VAR_BACKUPS", ("-k", "location or retention"), {"AC4"},
                     "the command writes to /var/backups/docling", id="default-location-differs-from-runbook"),
    ],
)
def test_backup_location_defect(
    tmp_path: Path, command: str, opts: tuple[str, ...], failed: set[str], message: str
) -> None:
    """The backup suite, judging a command that writes elsewhere than documented, fails exactly these."""
    report = run_signoff(tmp_path, BACKUP_SUITE, *opts,
                         "--impl", f"backup=tests.defects.backup_locations:{command}")
    expect(report, "WIL-1.2-016", failed)
    assert message in str(report["_stdout"]), str(report["_stdout"])[-3000:]
