#!/bin/sh
# The application role and database, as the local provider provisions them (harness/infra/local.py):
# role docling_app (LOGIN, password from APP_DB_PASSWORD), database docling_db owned by it, and a
# server-side statement timeout on the role (APP_STATEMENT_TIMEOUT, default 60s; empty = none).
# psql variables (:"ident", :'literal') do the quoting, so a password never becomes SQL text.
set -eu
: "${APP_DB_PASSWORD:?APP_DB_PASSWORD is not set (see .env.compose.example)}"
timeout="${APP_STATEMENT_TIMEOUT-60s}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -v app_user=docling_app -v app_db=docling_db -v app_password="$APP_DB_PASSWORD" -v statement_timeout="$timeout" <<'SQL'
CREATE ROLE :"app_user" LOGIN PASSWORD :'app_password';
CREATE DATABASE :"app_db" OWNER :"app_user";
SELECT :'statement_timeout' <> '' AS set_timeout \gset
\if :set_timeout
ALTER ROLE :"app_user" SET statement_timeout = :'statement_timeout';
\endif
SQL
