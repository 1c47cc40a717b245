"""Choosing a provider: external if configured, else docker if an engine answers, else local."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping

from .external import is_configured

PROVIDERS = ("auto", "local", "docker", "external")


def docker_engine_answers(timeout: float = 3.0) -> bool:
    docker = shutil.which("docker")
    if not docker:
        return False
    try:
        done = subprocess.run([docker, "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True,
                              timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and bool(done.stdout.strip())


def choose(requested: str, env: Mapping[str, str]) -> str:
    if requested != "auto":
        return requested
    if is_configured(env):
        return "external"
    # The docker provider lands with docker-compose.yml; until then auto never picks it.
    return "local"
