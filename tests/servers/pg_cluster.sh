#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A throw-away PostgreSQL 15 server for scripts (benchmarks, the multi-worker fault run), as
# tests/PgCluster does for the C++ tests: initdb in DIR, the server on a free loopback port,
# SCRAM password authentication, run as "nobody" when root (PostgreSQL refuses root).
#   pg_cluster.sh start DIR    prints the database URL (postgresql://hookline:…@127.0.0.1:P/hookline)
#   pg_cluster.sh stop DIR     fast shutdown
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
cmd="${1:?start|stop}"
dir="${2:?directory}"
as_server() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}
case "$cmd" in
start)
    [ -x "$bin/initdb" ] || { echo "pg_cluster.sh: install postgresql-15 (bash .ci/quickstart deps)" >&2; exit 1; }
    mkdir -p "$dir"
    chmod 755 "$dir"
    password=hookline-bench-password
    echo "$password" >"$dir/password"
    [ "$(id -u)" -eq 0 ] && chown nobody "$dir" "$dir/password"
    as_server "$bin/initdb" -D "$dir/data" -U hookline --pwfile="$dir/password" \
        --auth=scram-sha-256 --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
    PGPASSWORD=$password "$bin/psql" -q -h 127.0.0.1 -p "$port" -U hookline -d postgres \
        -c "CREATE DATABASE hookline" >/dev/null
    echo "$port" >"$dir/port"
    echo "postgresql://hookline:$password@127.0.0.1:$port/hookline"
    ;;
stop)
    [ -d "$dir/data" ] && as_server "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    ;;
*)
    echo "usage: pg_cluster.sh start|stop DIR" >&2
    exit 2
    ;;
esac
