#!/bin/sh
# PostgreSQL refuses a key that is not 0600 and owned by its own user; the bind-mounted /certs
# belongs to the host user. Copy the server pair into a private directory owned by postgres,
# then hand over to the image's own entrypoint (initdb, /docker-entrypoint-initdb.d, postgres).
set -eu
tls="${SIGNOFF_TLS_DIR:-/run/signoff-tls}"
certs="${SIGNOFF_CERTS_IN:-/certs}"
install -d -m 0700 -o postgres -g postgres "$tls"
install -m 0644 -o postgres -g postgres "$certs"/server.crt "$tls/server.crt"
install -m 0644 -o postgres -g postgres "$certs"/ca.pem "$tls/ca.pem"
install -m 0600 -o postgres -g postgres "$certs"/server.key "$tls/server.key"
exec docker-entrypoint.sh "$@"
