"""More planted defects of the DB pool (WIL-1.2-002): each fails exactly the criteria it should.

The pool is judged in this process and in fresh child interpreters (fixtures/dbpool_probe.py),
so each defect below is a whole module-level factory (tests/defects/dbpool_singletons.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.signoff_run import run_signoff, statuses, with_status

POOL_SUITE = "suites/test_wil_1_2_002_db_pool.py"
TASK = "WIL-1.2-002"
IMPLS = "tests.defects.dbpool_singletons"
# See test_dbpool_defects.py: run_signoff's cache_dir option warns under filterwarnings=error.
QUIET = ("-W", "ignore::pytest.PytestConfigWarning")
SILENT_SERVER = "test_scaled_connect_timeout_fires_against_a_silent_server"


def expect(report: dict[str, Any], task: str, failed: set[str]) -> None:
    """Exactly ``failed`` failed; every other criterion that ran passed."""
    got = statuses(report, task)
    assert with_status(report, task, "failed") == failed, f"{task}: {got}\n{str(report['_stdout'])[-3000:]}"
    assert set(got) - failed == with_status(report, task, "passed"), f"{task}: {got}"


@pytest.mark.parametrize(
    ("factory", "opts", "failed", "message"),
    [
        # A second call already differs; a reload builds yet another pool.
        pytest.param("get_pool_per_call", ("-n", "2"), {"AC1", "AC5"}, "the pool is not a singleton",
                     id="new-pool-per-call"),
        # Sequential calls agree; 16 threads racing on the first call build several pools.
        pytest.param("get_pool_racy", ("-n", "2"), {"AC1"}, "racing first calls built", id="unlocked-first-use"),
        # Serial (file order): the identity checks run before the reload; after it, a re-import
        # rightly sees another pool too, which under xdist would make AC1 depend on scheduling.
        pytest.param("get_pool_module_global", (), {"AC5"}, "importlib.reload built a second pool",
                     id="pool-in-module-global"),
        pytest.param("get_pool_no_cleanup", ("-n", "2"), {"AC6"}, "not closed at interpreter exit",
                     id="no-atexit-close"),
        # The silent-server check would wait out its 30 s probe bound (no connect_timeout): deselected,
        # the configured-value check catches it.
        pytest.param("get_pool_timeout_confused", ("-n", "2", "-k", f"not {SILENT_SERVER}"), {"AC3"},
                     "no connect_timeout", id="pool-timeout-taken-for-connect-timeout"),
    ],
)
def test_pool_defect(tmp_path: Path, factory: str, opts: tuple[str, ...], failed: set[str], message: str) -> None:
    """The suite, judging a defective factory, fails exactly the named criteria, for the stated reason."""
    report = run_signoff(tmp_path, POOL_SUITE, *QUIET, *opts, "--impl", f"db_pool={IMPLS}:{factory}")
    expect(report, TASK, failed)
    assert message in str(report["_stdout"]), str(report["_stdout"])[-3000:]
