"""The environment fingerprint of a run: who ran what, where, against which servers."""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("pytest", "pytest-xdist", "psycopg", "psycopg-pool", "redis", "httpx", "hypothesis", "allure-pytest",
            "testcontainers", "starlette", "pydantic")


def git_sha(root: Path) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5, check=False)
    except OSError:
        return "unknown"
    sha = out.stdout.strip()
    if sha:
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, timeout=5,
                               check=False).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    return "unknown"


def fingerprint(root: Path) -> dict[str, Any]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "git_sha": git_sha(root),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "host": platform.node(),
        "packages": versions,
    }
