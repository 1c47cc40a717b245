#!/bin/sh
# One-shot certificate authority for the compose stack (the `certs` service runs it).
#
# Writes into $CERTS_DIR (default /certs, a bind mount of ./docker/certs):
#   ca.pem                      the test CA (clients verify every server against it)
#   server.crt / server.key     one server certificate for postgres, pgbouncer and redis, valid for
#                               localhost, 127.0.0.1, ::1 and the compose service names
#   client.crt / client.key     the client certificate presented to Redis (mutual TLS)
#   wrong-ca.pem                an unrelated CA, used to prove a wrong CA is refused
# Idempotent: an existing, still-valid set is kept (delete the files, or set CERTS_FORCE=1, to renew).
# The files are handed to the owner of $CERTS_DIR (so a non-root user can read client.key on the host).
set -eu

dir="${CERTS_DIR:-/certs}"
days="${CERTS_DAYS:-30}"
names="${CERTS_SERVER_NAMES:-localhost postgres pgbouncer redis}"
ips="${CERTS_SERVER_IPS:-127.0.0.1 ::1}"

mkdir -p "$dir"
if [ -z "${CERTS_FORCE:-}" ] && [ -s "$dir/ca.pem" ] && [ -s "$dir/server.key" ] && [ -s "$dir/client.key" ] \
  && openssl verify -CAfile "$dir/ca.pem" "$dir/server.crt" "$dir/client.crt" >/dev/null 2>&1 \
  && openssl x509 -in "$dir/server.crt" -noout -checkend 86400 >/dev/null 2>&1; then
  echo "certs: keeping the existing, valid set in $dir"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
umask 077

san=""
for n in $names; do san="${san:+$san,}DNS:$n"; done
for ip in $ips; do san="${san:+$san,}IP:$ip"; done

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$days" \
  -subj "/O=sprint-signoff test CA/CN=sprint-signoff compose CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null

issue() {  # issue NAME SUBJECT EXTENSIONS...
  name="$1"; subj="$2"; shift 2
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$subj" \
    -keyout "$work/$name.key" -out "$work/$name.csr" 2>/dev/null
  printf '%s\n' "$@" > "$work/$name.ext"
  openssl x509 -req -in "$work/$name.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
    -days "$days" -extfile "$work/$name.ext" -out "$work/$name.crt" 2>/dev/null
}
issue server "/O=sprint-signoff/CN=localhost" "subjectAltName=$san" "basicConstraints=CA:FALSE" \
  "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth"
issue client "/O=sprint-signoff/CN=docling-app.client" "subjectAltName=DNS:docling-app.client" \
  "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=clientAuth"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$days" \
  -subj "/O=unrelated CA/CN=unrelated CA" -keyout "$work/wrong-ca.key" -out "$work/wrong-ca.pem" 2>/dev/null

owner="${CERTS_OWNER:-$(stat -c '%u:%g' "$dir")}"
for f in ca.pem server.crt client.crt wrong-ca.pem; do
  install -m 0644 "$work/$f" "$dir/$f"
done
for f in server.key client.key; do
  install -m 0600 "$work/$f" "$dir/$f"
done
chown "$owner" "$dir/ca.pem" "$dir/server.crt" "$dir/client.crt" "$dir/wrong-ca.pem" "$dir/server.key" "$dir/client.key"
echo "certs: wrote a CA, a server certificate ($san) and a client certificate into $dir (owner $owner)"
