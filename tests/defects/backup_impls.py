"""Planted defects of the ``backup`` role (WIL-1.2-016): argv prefixes of defective commands."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: The plan's `pg_dump | gzip` without pipefail, verified by `gunzip -t` only.
NO_PIPEFAIL: tuple[str, ...] = ("env", f"PYTHON={sys.executable}", "bash", str(HERE / "backup_no_pipefail.sh"))
#: The reference, with retention by `find -mtime +7`.
FIND_MTIME: tuple[str, ...] = ("env", f"PYTHON={sys.executable}", "bash", str(HERE / "backup_find_mtime.sh"))
