"""Finding server binaries, with errors that say where we looked."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

from .errors import PrerequisiteMissing

_PG_CANDIDATES = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")


@cache
def pg_bindir() -> Path:
    """The directory of the server-matching PostgreSQL binaries (not Debian's wrappers)."""
    checked: list[str] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        checked.append("pg_config --bindir")
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=30, check=False)
        candidate = Path(out.stdout.strip())
        if (candidate / "initdb").exists():
            return candidate
    for directory in _PG_CANDIDATES:
        checked.append(directory)
        if (Path(directory) / "initdb").exists():
            return Path(directory)
    raise PrerequisiteMissing(
        "PostgreSQL server binaries (initdb, postgres) were not found",
        checked=", ".join(checked),
        remedies=(
            "apt-get install -y postgresql-15 (or run `make setup`)",
            "or point the harness at existing servers: see README, 'Target an existing environment'",
        ),
    )


def require(name: str, package: str) -> str:
    """Path of a binary on PATH, or an error naming the package that provides it."""
    found = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if Path(p).exists()), None
    )
    if found is None:
        raise PrerequisiteMissing(
            f"{name} is not installed",
            checked=f"PATH, /usr/sbin, /usr/bin for {name!r}",
            remedies=(
                f"apt-get install -y {package} (or run `make setup`)",
                "or point the harness at existing servers: see README, 'Target an existing environment'",
            ),
        )
    return found
