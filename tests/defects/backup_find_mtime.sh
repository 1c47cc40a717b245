#!/bin/bash
# Planted defect (WIL-1.2-016/AC5): the reference command, except that retention is the
# plan's `find -mtime +7`: ages are floored to whole days (files live ~8 days) and the
# newest backup is deleted like any other once it is old enough.
set -euo pipefail
if [[ "${1:-}" == "prune" ]]; then
  DB="${DATABASE_URL%%\?*}"
  DB="${DB##*/}"
  find "${BACKUP_DIR:-/data/backups/docling}" -maxdepth 1 -type f -name "${DB}_*.sql.gz" -mtime +7 -delete
  exit 0
fi
exec "${PYTHON:-python3}" -m harness.db.backup "$@"
