#!/bin/bash
# Planted defect (WIL-1.2-016/AC2): the reference command, except that backups are written into a
# per-database subdirectory "$BACKUP_DIR/<db>/" instead of the documented directory itself, so
# operators (and restores, and retention of the real directory) never find them there.
set -euo pipefail
if [[ "${1:-}" == "backup" ]]; then
  DB="${DATABASE_URL%%\?*}"
  DB="${DB##*/}"
  export BACKUP_DIR="${BACKUP_DIR:-/data/backups/docling}/${DB}"
fi
exec "${PYTHON:-python3}" -m harness.db.backup "$@"
