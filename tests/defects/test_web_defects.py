"""Planted defects of the web layer: each defective app, served by uvicorn on loopback, is
judged by the real suite through ``--app-url``; exactly the criterion it breaks must fail.

The suite subprocess gets the same servers as the app (``--env-file`` of the stack, with
MCP_SERVER_URL pointing at the stand-in the app uses), so external-mode checks compare
like with like. A control run proves the reference app passes every HTTP criterion.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from harness.infra import Stack
from harness.infra.external import write_env_file
from harness.web.mcp_standin import McpStandin, Mode
from harness.web.server import ThreadedServer
from harness.web.settings import AppSettings
from tests.signoff_run import run_signoff, statuses, with_status


SUITES = {
    "WIL-1.2-007": "suites/test_wil_1_2_007_http_sessions.py",
    "WIL-1.2-008": "suites/test_wil_1_2_008_health.py",
    "WIL-1.2-009": "suites/test_wil_1_2_009_redis_metrics.py",
    "WIL-1.2-010": "suites/test_wil_1_2_010_http_rate_limit.py",
    "WIL-1.2-011": "suites/test_wil_1_2_011_validation.py",
}


@contextmanager
def served(factory_path: str, stack: Stack, tmp_path: Path, *, mcp_mode: Mode = "up") -> Iterator[tuple[str, Path]]:
    """(app URL, env file) of an app built from ``stack`` with an MCP stand-in in ``mcp_mode``."""
    module, _, attr = factory_path.partition(":")
    standin = McpStandin(mcp_mode)
    mcp = ThreadedServer(standin.app)
    mcp.start()
    try:
        target = dataclasses.replace(stack, mcp_server_url=mcp.url)
        env_file = tmp_path / "stack.env"
        write_env_file(target, env_file)
        app = getattr(importlib.import_module(module), attr or "create_app")(AppSettings.from_env(target.to_env()))
        with ThreadedServer(app) as url:
            yield url, env_file
    finally:
        standin.release()
        mcp.stop()


def judge(tmp_path: Path, task: str, url: str, env_file: Path) -> dict[str, Any]:
    report = run_signoff(tmp_path, SUITES[task], "--env-file", str(env_file), "--allow-destructive",
                         "--app-url", url)
    assert not with_status(report, task, "error"), (statuses(report, task), report["_stdout"][-3000:])
    return report


def defect(name: str) -> str:
    return f"tests.defects.web_apps.{name}:create_app"


@pytest.mark.parametrize(("module", "task", "mcp_mode", "expected"), [
    ("health_no_cache", "WIL-1.2-008", "up", {"AC6"}),
    ("sequential_checks", "WIL-1.2-008", "hang", {"AC5"}),
    ("malformed_json_500", "WIL-1.2-011", "up", {"AC3"}),
    ("no_rate_limit_headers", "WIL-1.2-010", "up", {"AC4"}),
    ("session_header_on_success_only", "WIL-1.2-007", "up", {"AC6"}),
])
def test_defective_app_fails_exactly_its_criterion(module: str, task: str, mcp_mode: Mode, expected: set[str],
                                                   stack: Stack, tmp_path: Path) -> None:
    """The suite, pointed at the defective app by URL, fails exactly the criterion the defect breaks."""
    with served(defect(module), stack, tmp_path, mcp_mode=mcp_mode) as (url, env_file):
        report = judge(tmp_path, task, url, env_file)
    assert with_status(report, task, "failed") == expected, (statuses(report, task), report["_stdout"][-3000:])


def test_evicted_keys_from_info_memory_fails_009_ac2(disposable_stack: Any, tmp_path: Path) -> None:
    """Reading evicted_keys from INFO memory (the plan) fails 009/AC2 on a Redis that really evicts."""
    local = disposable_stack(redis_maxmemory="3mb", redis_maxmemory_policy="allkeys-lru")
    assert local.stack is not None
    with served(defect("evicted_from_info_memory"), local.stack, tmp_path) as (url, env_file):
        report = judge(tmp_path, "WIL-1.2-009", url, env_file)
    assert with_status(report, "WIL-1.2-009", "failed") == {"AC2"}, report["_stdout"][-3000:]


def test_reference_app_by_url_fails_nothing(stack: Stack, tmp_path: Path) -> None:
    """Control: the reference app served by uvicorn fails no HTTP criterion of 007-011."""
    with served("harness.web.app:create_app", stack, tmp_path) as (url, env_file):
        report = run_signoff(tmp_path, *SUITES.values(), "--env-file", str(env_file), "--allow-destructive",
                             "--app-url", url)
    for task in SUITES:
        got = statuses(report, task)
        assert not {k for k, v in got.items() if v in ("failed", "error")}, (task, got, report["_stdout"][-3000:])
    # Criteria with a check that needs a fault the harness cannot cause on an external app are
    # "skipped" (never passed); everything observable from outside passes.
    assert with_status(report, "WIL-1.2-008", "passed") == {"AC1", "AC4", "AC6"}
    assert with_status(report, "WIL-1.2-011", "passed") == {"AC1", "AC2", "AC3", "AC4", "AC5", "AC6"}
    assert with_status(report, "WIL-1.2-007", "passed") == {"AC5", "AC6"}
    assert with_status(report, "WIL-1.2-010", "passed") == {"AC4", "AC5", "AC6"}
    # 009: every criterion has a check needing the app's own Redis (fill, pause, evict): all skipped, none failed.
    assert set(statuses(report, "WIL-1.2-009").values()) == {"skipped"}
