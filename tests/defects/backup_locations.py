"""Planted location defects of the ``backup`` role (WIL-1.2-016): argv prefixes of defective commands."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: Writes into "$BACKUP_DIR/<db>/" rather than BACKUP_DIR.
PER_DB_SUBDIR: tuple[str, ...] = ("env", f"PYTHON={sys.executable}", "bash", str(HERE / "backup_per_db_subdir.sh"))
#: Defaults to /var/backups/docling, not the documented /data/backups/docling.
VAR_BACKUPS: tuple[str, ...] = ("env", f"PYTHON={sys.executable}", "bash", str(HERE / "backup_var_backups.sh"))
