#!/usr/bin/env bash
# Database backup with restore verification and 7-day retention (WIL-1.2-016).
# Usage: scripts/backup.sh backup | verify FILE | prune | location
# Environment: DATABASE_URL (direct), DATABASE_ADMIN_URL, BACKUP_DIR, PG_BINDIR, PYTHON.
# The work is done by harness/db/backup.py; see docs/runbooks/backup.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x "$ROOT/.venv/bin/python" ]]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
exec "$PYTHON" -m harness.db.backup "$@"
