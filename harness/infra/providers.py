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
    if local_binaries_present() or not docker_engine_answers():
        return "local"  # (when neither works, the local provider's error says what to install)
    return "docker"


def local_binaries_present() -> bool:
    """Are PostgreSQL, PgBouncer and Redis installed for the local provider?"""
    from .binaries import pg_bindir, require  # noqa: PLC0415
    from .errors import PrerequisiteMissing  # noqa: PLC0415

    try:
        pg_bindir()
        require("pgbouncer", "pgbouncer")
        require("redis-server", "redis-server")
    except PrerequisiteMissing:
        return False
    return True
