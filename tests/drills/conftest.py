"""Fault drills: real servers killed, paused and restarted under the reference components."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "drill: fault drill (a real server killed, paused or restarted mid-operation); "
        "select with -m drill")
