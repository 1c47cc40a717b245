#!/bin/sh
# PgBouncer in the tools image: private key copy owned by the service user, the auth file written
# from the environment (never baked into an image or committed), then PgBouncer drops root with -u.
set -eu
: "${APP_DB_PASSWORD:?APP_DB_PASSWORD is not set}"
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is not set}"
: "${PGBOUNCER_ADMIN_PASSWORD:?PGBOUNCER_ADMIN_PASSWORD is not set}"
user=postgres
tls="${SIGNOFF_TLS_DIR:-/run/signoff-tls}"
certs="${SIGNOFF_CERTS_IN:-/certs}"
run="${PGBOUNCER_RUN_DIR:-/run/pgbouncer}"
install -d -m 0700 -o "$user" -g "$user" "$tls" "$run"
install -m 0644 -o "$user" -g "$user" "$certs"/server.crt "$tls/server.crt"
install -m 0644 -o "$user" -g "$user" "$certs"/ca.pem "$tls/ca.pem"
install -m 0600 -o "$user" -g "$user" "$certs"/server.key "$tls/server.key"
umask 077
# auth_file format: "user" "password"; a double quote inside a value is doubled.
q() { printf '%s' "$1" | sed 's/"/""/g'; }
{
  printf '"docling_app" "%s"\n' "$(q "$APP_DB_PASSWORD")"
  printf '"postgres" "%s"\n' "$(q "$POSTGRES_PASSWORD")"
  printf '"pgbouncer_admin" "%s"\n' "$(q "$PGBOUNCER_ADMIN_PASSWORD")"
} > "$run/userlist.txt"
chown "$user:$user" "$run/userlist.txt"
exec pgbouncer -u "$user" "${PGBOUNCER_INI:-/etc/pgbouncer/pgbouncer.ini}"
