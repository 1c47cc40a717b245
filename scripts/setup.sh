#!/usr/bin/env bash
# Set-up for `make signoff` / `make test`: system servers (apt) and the virtualenv.
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"

need=()
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || need+=(pgbouncer)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then need+=(postgresql-15); fi

if [ "${#need[@]}" -gt 0 ] && [ -z "${SIGNOFF_SKIP_APT:-}" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${need[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    cat >&2 <<MSG
setup: missing system packages: ${need[*]}
  The local provider runs PostgreSQL 15, PgBouncer and Redis as child processes.
  Install them (Debian/Ubuntu: sudo apt-get install -y ${need[*]}),
  or sign off existing servers instead: put DATABASE_URL, DATABASE_POOL_URL, REDIS_* in a .env
  (see .env.example) and run: .venv/bin/pytest --env-file .env
MSG
    [ -n "${SIGNOFF_ALLOW_MISSING:-}" ] || exit 2
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python dependencies into $VENV" >&2
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true
  "$VENV/bin/python" -c "import harness.signoff.plugin, psycopg, redis, xdist" # fail loudly if the install did not work
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi
