"""The docker provider without an engine: fast, explicit failure naming what was checked and the remedies."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.infra.docker import SERVICES, _Compose
from harness.infra.docker_preflight import DockerUnavailable, preflight
from harness.infra.errors import ProvisioningError

ROOT = Path(__file__).resolve().parents[2]
MISSING_SOCKET = "unix:///nonexistent/signoff/docker.sock"


def _env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env.update(overrides)
    return env


@pytest.mark.skipif(not any((Path(p) / "docker").exists() for p in os.environ.get("PATH", "").split(os.pathsep)),
                    reason="no docker CLI on PATH: the engine check cannot be exercised")
def test_no_engine_fails_fast_with_what_was_checked_and_remedies() -> None:
    """DOCKER_HOST names a socket that does not exist: DockerUnavailable within 5 s, naming the endpoint,
    the socket, `docker info`'s answer, and the three ways out (start the engine, --provider local, --env-file)."""
    t0 = time.perf_counter()
    with pytest.raises(DockerUnavailable) as info:
        preflight(_env(DOCKER_HOST=MISSING_SOCKET))
    elapsed = time.perf_counter() - t0
    message = str(info.value)
    assert isinstance(info.value, ProvisioningError)
    assert elapsed < 5, f"preflight took {elapsed:.1f} s"
    assert MISSING_SOCKET in message
    assert "socket /nonexistent/signoff/docker.sock does not exist" in message
    assert "`docker info` answered: Cannot connect to the Docker daemon" in message
    for remedy in ("start the Docker engine", "--provider local", "--env-file"):
        assert remedy in message, remedy


def test_no_docker_cli_is_named() -> None:
    """Without a docker CLI on PATH the error says so and shows the PATH searched."""
    with pytest.raises(DockerUnavailable) as info:
        preflight(_env(PATH="/nonexistent-bin"))
    assert "`docker` is not on PATH" in str(info.value)
    assert "PATH=/nonexistent-bin" in str(info.value)
    assert "--provider local" in str(info.value)


def test_pytest_provider_docker_reports_the_preflight(tmp_path: Path) -> None:
    """End to end: `pytest --provider docker` on a run that needs the stack fails the test with the preflight
    message (not testcontainers' "Error while fetching server API version"), quickly."""
    test = tmp_path / "test_needs_stack.py"
    test.write_text("def test_needs_stack(stack):\n    '''Needs servers.'''\n    assert stack.database_url\n")
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--no-signoff-report", "--provider", "docker",
         str(test)],
        cwd=ROOT, env=_env(DOCKER_HOST=MISSING_SOCKET, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
        timeout=120, check=False,
    )
    elapsed = time.perf_counter() - t0
    out = done.stdout + done.stderr
    assert done.returncode == 1, out[-3000:]
    assert "no Docker engine answers" in out, out[-3000:]
    assert "Error while fetching server API version" not in out
    assert elapsed < 30, f"{elapsed:.1f} s"


def test_compose_command_line_names_the_project_and_takes_the_whole_project_down(tmp_path: Path) -> None:
    """The per-run project name reaches every compose call; `up` waits on the servers only (the one-shot
    `certs` runs as their dependency); `down` is not limited to those services (it would leak certs/volume)."""
    env_file = str(tmp_path / ".env")
    plugin = _Compose(context=str(ROOT), compose_file_name=["docker-compose.yml"], env_file=[env_file],
                      services=list(SERVICES), project_name="signoff-abc", docker_command_path="docker")
    assert plugin.compose_command_property == ["docker", "compose", "-p", "signoff-abc", "-f", "docker-compose.yml",
                                               "--env-file", env_file]
    standalone = _Compose(context=str(ROOT), compose_file_name=["docker-compose.yml"], env_file=[env_file],
                          services=list(SERVICES), project_name="signoff-abc", standalone=("/x/docker-compose",))
    assert standalone.compose_command_property[:3] == ["/x/docker-compose", "-p", "signoff-abc"]
    calls: list[list[str]] = []
    standalone._run_command = lambda cmd, context=None: calls.append(cmd)  # type: ignore[method-assign,assignment,misc]
    standalone.stop()
    assert calls[0][-3:] == ["down", "--volumes", "--remove-orphans"]
    assert not set(SERVICES) & set(calls[0])
