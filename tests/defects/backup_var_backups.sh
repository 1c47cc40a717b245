#!/bin/bash
# Planted defect (WIL-1.2-016/AC4): the reference command with its default location changed to
# the Debian convention /var/backups/docling; the runbook still says /data/backups/docling.
set -euo pipefail
export BACKUP_DIR="${BACKUP_DIR:-/var/backups/docling}"
exec "${PYTHON:-python3}" -m harness.db.backup "$@"
