#!/bin/bash
# Planted defect (WIL-1.2-016): the plan's backup script, parametrised by the backup role's
# contract (DATABASE_URL, BACKUP_DIR, PG_BINDIR). No `set -o pipefail`: a pg_dump that dies
# midway still leaves a valid gzip, and `gunzip -t` is its only "verification".
# Retention is delegated to the reference so that only the dump and its check are wrong.
set -eu
cmd="${1:?usage: backup | verify FILE | prune | location}"
BACKUP_DIR="${BACKUP_DIR:-/data/backups/docling}"
DB="${DATABASE_URL%%\?*}"
DB="${DB##*/}"
case "$cmd" in
  location) echo "$BACKUP_DIR" ;;
  prune) exec "${PYTHON:-python3}" -m harness.db.backup prune ;;
  verify) gunzip -t "$2" ;;
  backup)
    TIMESTAMP=$(date +%Y%m%d_%H%M%S)
    BACKUP_FILE="${BACKUP_DIR}/${DB}_${TIMESTAMP}.sql.gz"
    mkdir -p "${BACKUP_DIR}"
    "${PG_BINDIR:+$PG_BINDIR/}pg_dump" --no-owner --no-privileges --dbname="$DATABASE_URL" | gzip > "${BACKUP_FILE}"
    gunzip -t "${BACKUP_FILE}"
    echo "Backup created: ${BACKUP_FILE}"
    "${PYTHON:-python3}" -m harness.db.backup prune
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
