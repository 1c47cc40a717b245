"""A timed-out child gets SIGTERM (time to clean up) before SIGKILL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from harness.infra.process import run_with_grace

CHILD = """
import signal, sys, time
def term(*_):
    open(sys.argv[1], "w").write("cleaned up")
    sys.exit(3)
signal.signal(signal.SIGTERM, term)
print("started", flush=True)
time.sleep(60)
"""


def test_timeout_terminates_gracefully(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    code, out, _ = run_with_grace([sys.executable, "-c", CHILD, str(marker)], timeout=1.0, grace=10,
                                  stdout=subprocess.PIPE, text=True)
    assert code is None and "started" in str(out)
    assert marker.read_text() == "cleaned up"


def test_a_child_deaf_to_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    deaf = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    code, _, _ = run_with_grace([sys.executable, "-c", deaf], timeout=0.5, grace=0.5)
    assert code is None


def test_a_finished_child_reports_its_exit_code() -> None:
    code, out, _ = run_with_grace([sys.executable, "-c", "print('hi'); raise SystemExit(4)"], timeout=30,
                                  stdout=subprocess.PIPE, text=True)
    assert code == 4 and str(out).strip() == "hi"
