#!/bin/sh
# Redis 7, TLS only: private copies of the server pair owned by the redis user, then the generated
# redis.conf plus the two runtime directives: tls-auth-clients (REDIS_TLS_AUTH_CLIENTS=yes|optional|no,
# default yes = mutual TLS) and requirepass (REDIS_PASSWORD, kept out of the command line and of `ps`).
set -eu
: "${REDIS_PASSWORD:?REDIS_PASSWORD is not set}"
auth="${REDIS_TLS_AUTH_CLIENTS:-yes}"
case "$auth" in
  yes|optional|no) ;;
  *) echo "REDIS_TLS_AUTH_CLIENTS must be yes, optional or no (got '$auth')" >&2; exit 2 ;;
esac
case "$REDIS_PASSWORD" in
  *[!A-Za-z0-9._~+/=-]*) echo "REDIS_PASSWORD may use only letters, digits and ._~+/=- (it goes into redis.conf)" >&2; exit 2 ;;
esac
tls="${SIGNOFF_TLS_DIR:-/run/signoff-tls}"
certs="${SIGNOFF_CERTS_IN:-/certs}"
install -d -m 0700 -o redis -g redis "$tls"
install -m 0644 -o redis -g redis "$certs"/server.crt "$tls/server.crt"
install -m 0644 -o redis -g redis "$certs"/ca.pem "$tls/ca.pem"
install -m 0600 -o redis -g redis "$certs"/server.key "$tls/server.key"
umask 077
conf="$tls/redis.conf"
{
  cat "${REDIS_CONF_TEMPLATE:-/usr/local/etc/redis/redis.conf}"
  printf 'tls-auth-clients %s\n' "$auth"
  printf 'requirepass %s\n' "$REDIS_PASSWORD"
} > "$conf"
chown redis:redis "$conf"
exec docker-entrypoint.sh redis-server "$conf"
