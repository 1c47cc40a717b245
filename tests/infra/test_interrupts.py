"""Interrupt safety: SIGINT / SIGTERM of a running sign-off leaves no server and no directory."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUITE = "suites/test_wil_1_2_005_redis_tls.py"


def processes_under(directory: Path) -> list[str]:
    """Processes whose command line or working directory lies inside ``directory``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if str(directory) in cmdline or cwd.startswith(str(directory)):
            found.append(f"{proc.name}: {cmdline[:120]} (cwd {cwd})")
    return found


def private_tmpdir() -> Path:
    """Not under tmp_path: pytest's temp root is 0700 root, and PostgreSQL runs as `postgres`."""
    tmpdir = Path(tempfile.mkdtemp(prefix="signoff-interrupt-"))
    tmpdir.chmod(0o755)
    return tmpdir


def child_env(tmpdir: Path) -> dict[str, str]:
    """The child run's environment: no inherited targets, temp files under ``tmpdir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DATABASE_", "REDIS_"))}
    env["TMPDIR"] = str(tmpdir)
    return env


def settle(tmpdir: Path, timeout: float = 5) -> None:
    """Give exiting processes a moment to disappear."""
    deadline = time.monotonic() + timeout
    while processes_under(tmpdir) and time.monotonic() < deadline:
        time.sleep(0.1)


def wait_for_servers(directory: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stacks = list(directory.glob("signoff-stack-*/pgbouncer/pgbouncer.pid"))
        if stacks:
            return
        time.sleep(0.05)
    raise AssertionError("the stack never came up")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_mid_run_cleans_up(tmp_path: Path, sig: signal.Signals) -> None:
    """Interrupted after the stack is up: servers stopped, private directory removed, report written."""
    tmpdir = private_tmpdir()
    env = child_env(tmpdir)
    report_dir = tmp_path / "report"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", SUITE, "--signoff-report-dir", str(report_dir),
         "--basetemp", str(tmp_path / "basetemp")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        # SIGINT must not be ignored in the child (background shells ignore it).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        wait_for_servers(tmpdir)
        time.sleep(0.3)
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    settle(tmpdir)
    assert processes_under(tmpdir) == [], out[-2000:]
    assert list(tmpdir.glob("signoff-stack-*")) == [], out[-2000:]
    assert proc.returncode != 0
    report = json.loads((report_dir / "signoff.json").read_text())
    assert report["interrupted"] is True and report["verdict"] == "not-signed-off", out[-3000:]
    shutil.rmtree(tmpdir, ignore_errors=True)


def test_killed_xdist_worker_leaves_no_server(tmp_path: Path) -> None:
    """SIGKILL of an xdist worker while its disposable Redis runs: the server dies with it, the run
    finishes, and the controller's stack is stopped and removed."""
    tmpdir = private_tmpdir()
    basetemp = tmpdir / "basetemp"
    env = child_env(tmpdir)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-n", "2", SUITE,
         "-k", "hung_server", "--signoff-report-dir", str(tmp_path / "report"), "--basetemp", str(basetemp)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        victim = None
        deadline = time.monotonic() + 60
        while victim is None and time.monotonic() < deadline:
            for line in processes_under(basetemp):
                pid = int(line.split(":")[0])
                if "redis-server" in line:
                    victim = int(Path(f"/proc/{pid}/stat").read_text().split()[3])  # its parent: the worker
                    break
            time.sleep(0.02)
        assert victim is not None, "the disposable Redis never started"
        os.kill(victim, signal.SIGKILL)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    settle(tmpdir)
    assert "crashed" in out or "worker" in out.lower(), out[-2000:]  # the kill really hit a worker
    assert processes_under(tmpdir) == [], out[-2000:]
    assert list(tmpdir.glob("signoff-stack-*")) == [], out[-2000:]
    shutil.rmtree(tmpdir, ignore_errors=True)
