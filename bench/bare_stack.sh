#!/usr/bin/env bash
# The baseline for bench_stack: the same three servers with the same TLS settings,
# started by a bare script (no harness). Usage: bare_stack.sh DIR CERTDIR  (prints "ready", waits for stdin EOF)
set -euo pipefail
dir=$1; certs=$2
bindir=$(pg_config --bindir)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
pgp=$(port); bp=$(port); rp=$(port); pw=benchpw
mkdir -p "$dir/pg" "$dir/redis"; chmod 755 "$dir"
cp "$certs/server.key" "$dir/pg/server.key"; chmod 600 "$dir/pg/server.key"; echo "$pw" > "$dir/pg/pw"
[ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$dir/pg"
redis-server --port 0 --tls-port "$rp" --tls-cert-file "$certs/server.crt" --tls-key-file "$certs/server.key" \
  --tls-ca-cert-file "$certs/ca.pem" --tls-auth-clients yes --requirepass "$pw" --dir "$dir/redis" --save "" \
  --bind 127.0.0.1 >"$dir/redis/log" 2>&1 &
as_pg "$bindir/initdb" -D "$dir/pg/data" -U postgres --auth=scram-sha-256 --pwfile="$dir/pg/pw" --no-sync -E UTF8 --locale=C >/dev/null
printf 'hostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all 0.0.0.0/0 reject\n' > "$dir/pg/data/pg_hba.conf"
cat >> "$dir/pg/data/postgresql.conf" <<CONF
listen_addresses='127.0.0.1'
port=$pgp
unix_socket_directories=''
ssl=on
ssl_cert_file='$certs/server.crt'
ssl_key_file='$dir/pg/server.key'
fsync=off
CONF
as_pg "$bindir/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/log" -w start >/dev/null
export PGPASSWORD=$pw PGSSLMODE=verify-full PGSSLROOTCERT=$certs/ca.pem
psql -h 127.0.0.1 -p "$pgp" -U postgres -qc "CREATE ROLE app LOGIN PASSWORD '$pw'" postgres
mkdir -p "$dir/bouncer"
printf '"app" "%s"\n"admin" "%s"\n' "$pw" "$pw" > "$dir/bouncer/users"
cp "$certs/server.key" "$dir/bouncer/server.key"; chmod 600 "$dir/bouncer/server.key"
cat > "$dir/bouncer/ini" <<INI
[databases]
postgres = host=127.0.0.1 port=$pgp
[pgbouncer]
listen_addr=127.0.0.1
listen_port=$bp
unix_socket_dir=
auth_type=scram-sha-256
auth_file=$dir/bouncer/users
admin_users=admin
pool_mode=transaction
client_tls_sslmode=require
client_tls_cert_file=$certs/server.crt
client_tls_key_file=$dir/bouncer/server.key
server_tls_sslmode=verify-full
server_tls_ca_file=$certs/ca.pem
logfile=$dir/bouncer/log
pidfile=$dir/bouncer/pid
INI
[ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$dir/bouncer"
as_pg pgbouncer -d "$dir/bouncer/ini"
until psql -h 127.0.0.1 -p "$bp" -U admin -qtc "SHOW VERSION" pgbouncer >/dev/null 2>&1; do sleep 0.01; done
until redis-cli --tls --cacert "$certs/ca.pem" --cert "$certs/client.crt" --key "$certs/client.key" -p "$rp" \
  --no-auth-warning -a "$pw" ping 2>/dev/null | grep -q PONG; do sleep 0.01; done
echo ready
cat >/dev/null || true
kill "$(cat "$dir/bouncer/pid")" 2>/dev/null || true
as_pg "$bindir/pg_ctl" -D "$dir/pg/data" -m immediate stop >/dev/null || true
kill %1 2>/dev/null || true
wait
