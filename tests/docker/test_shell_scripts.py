"""The shell scripts that run inside containers (POSIX sh: the images' /bin/sh is dash) and the report
scripts pass ShellCheck; without ShellCheck, at least the shell's own syntax check."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POSIX = sorted([ROOT / "docker/gen-certs.sh", *ROOT.glob("docker/*/entrypoint.sh"),
                *ROOT.glob("docker/postgres/initdb/*.sh")])
BASH = [ROOT / "scripts/allure-report.sh", ROOT / "scripts/allure/install-tools.sh"]


@pytest.mark.parametrize("script", POSIX + BASH, ids=lambda p: str(p.relative_to(ROOT)))
def test_shell_script_is_clean(script: Path) -> None:
    """ShellCheck (apt-get install -y shellcheck) finds nothing; container scripts are checked as POSIX sh."""
    shell = "sh" if script in POSIX else "bash"
    syntax = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True, check=False)
    assert syntax.returncode == 0, syntax.stderr
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck not installed (CI: apt-get install -y shellcheck); only `-n` syntax was checked")
    done = subprocess.run(["shellcheck", "-s", shell, str(script)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout


def test_container_scripts_are_executable_and_posix() -> None:
    """Mounted read-only into the containers: they must not rely on bash (the entrypoints call /bin/sh)."""
    assert len(POSIX) == 5
    for script in POSIX:
        assert script.read_text().startswith("#!/bin/sh\n"), script
        assert script.stat().st_mode & 0o111, f"{script} is not executable"
