#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Team-mode benchmark (issue #19): one command, prints a table.
#   bash tests/bench/team_bench.sh [N] [ROUNDS]
# In one run, against the same nginx answering 204 on 127.0.0.1: 'hookline run' workers
# draining N queued deliveries - one process on SQLite (the reference), then one, two and
# three workers on one PostgreSQL 15 database (a throw-away server on loopback, fsync on).
# Reports deliveries/s (N over the time from the workers' start to the last final delivery),
# the workers' and the database's CPU per delivery, and publish-to-first-attempt p50/p99
# for a burst of N/4 events published by 'hookline fire' while the workers are idle.
# Each configuration runs ROUNDS times, alternating; the table shows medians.
# Only loopback is used. Installs nginx and curl if missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
n="${1:-20000}"
rounds="${2:-3}"

bash .ci/quickstart deps
. "$here/tests/bench/nginx204.sh"
install_missing nginx curl

cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/bench --target hookline >/dev/null
hookline="$here/build/bench/app/hookline"

work="$(mktemp -d)"
chmod 755 "$work"
port=$((20000 + RANDOM % 20000))
start_nginx204 "$work" "$port"
url="$(bash tests/servers/pg_cluster.sh start "$work/pg")"
cleanup() {
    pkill -f "$hookline" 2>/dev/null || true
    kill "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null || true
    bash tests/servers/pg_cluster.sh stop "$work/pg"
    rm -rf "$work"
}
trap cleanup EXIT
psql_() { PGOPTIONS=--client-min-messages=warning PGPASSWORD=hookline-bench-password /usr/lib/postgresql/15/bin/psql -qAt -h 127.0.0.1 -p "$(cat "$work/pg/port")" -U hookline "$@"; }
# CPU seconds (user + system) of the processes with these pids, from /proc.
cpu_of() {
    local total=0 pid t
    for pid in "$@"; do
        [ -r "/proc/$pid/stat" ] || continue
        t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pid/stat")
        total=$((total + t))
    done
    echo "$total"
}
server_pids() { pgrep -f "postgres.*$work/pg" || true; }
hz=$(getconf CLK_TCK)

# store KIND ROUND: a fresh store's URL
store() {
    if [ "$1" = sqlite ]; then
        echo "sqlite:$work/sqlite-$2/hookline.sqlite"
    else
        psql_ -d postgres -c "DROP DATABASE IF EXISTS bench_$2" -c "CREATE DATABASE bench_$2"
        echo "${url%/*}/bench_$2"
    fi
}
unfinished() { # STORE
    if [[ "$1" == sqlite:* ]]; then
        sqlite3 "${1#sqlite:}" "SELECT count(*) FROM deliveries WHERE due_at IS NOT NULL"
    else
        psql_ -d "${1##*/}" -c "SELECT count(*) FROM deliveries WHERE due_at IS NOT NULL"
    fi
}
latencies() { # STORE -> "p50 p99" in ms, first attempts of the latest burst
    local sql="SELECT a.started - d.created FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE a.number = 1 AND d.seq > $2 ORDER BY 1"
    if [[ "$1" == sqlite:* ]]; then sqlite3 "${1#sqlite:}" "$sql"; else psql_ -d "${1##*/}" -c "$sql"; fi |
        awk '{ v[NR] = $1 } END { printf "%d %d", v[int(NR * 0.5) + 1], v[int(NR * 0.99) + 1] }'
}
max_seq() {
    local sql="SELECT COALESCE(MAX(seq), 0) FROM deliveries"
    if [[ "$1" == sqlite:* ]]; then sqlite3 "${1#sqlite:}" "$sql"; else psql_ -d "${1##*/}" -c "$sql"; fi
}

# run_config KIND WORKERS ROUND: prints "rate worker_us db_us p50 p99"
run_config() {
    local kind=$1 workers=$2 round=$3 s
    s=$(store "$kind" "${kind}_${workers}_$round")
    "$hookline" --database "$s" endpoints add --url "http://127.0.0.1:$port/hook" --name nginx >/dev/null
    "$hookline" --database "$s" fire call.ringing --count "$n" >/dev/null 2>&1
    local db0; db0=$(cpu_of $(server_pids))
    local t0; t0=$(date +%s%N)
    local pids=()
    for _ in $(seq "$workers"); do
        "$hookline" --database "$s" run --quiet 2>/dev/null &
        pids+=($!)
    done
    while [ "$(unfinished "$s")" -gt 0 ]; do sleep 0.05; done
    local t1; t1=$(date +%s%N)
    local wcpu; wcpu=$(cpu_of "${pids[@]}")
    local db1; db1=$(cpu_of $(server_pids))
    # Latency: a burst while the workers are idle.
    sleep 6
    local seq; seq=$(max_seq "$s")
    "$hookline" --database "$s" fire call.ringing --count $((n / 4)) >/dev/null 2>&1
    while [ "$(unfinished "$s")" -gt 0 ]; do sleep 0.05; done
    local lat; lat=$(latencies "$s" "$seq")
    kill -TERM "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
    awk -v n="$n" -v ns=$((t1 - t0)) -v w="$wcpu" -v d=$((db1 - db0)) -v hz="$hz" -v lat="$lat" \
        'BEGIN { split(lat, l, " "); printf "%.0f %.0f %.0f %s %s\n", n / (ns / 1e9), w / hz / n * 1e6, d / hz / n * 1e6, l[1], l[2] }'
}

configs=("sqlite 1" "postgresql 1" "postgresql 2" "postgresql 3")
declare -A results
echo "Draining $n deliveries per configuration, $rounds rounds, nginx at 127.0.0.1:$port..." >&2
for r in $(seq "$rounds"); do
    for c in "${configs[@]}"; do
        set -- $c
        line=$(run_config "$1" "$2" "$r")
        echo "  round $r, $1 x$2: $line" >&2
        results["$c"]+="$line"$'\n'
    done
done
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
col() { printf '%s' "${results[$1]}" | awk -v c="$2" 'NF { print $c }' | median; }
ref=$(col "sqlite 1" 1)
printf '\n| store | workers | deliveries/s | vs SQLite | worker CPU µs/delivery | database CPU µs/delivery | publish→first attempt p50 / p99 |\n'
printf '|---|---:|---:|---:|---:|---:|---|\n'
for c in "${configs[@]}"; do
    set -- $c
    rate=$(col "$c" 1)
    printf '| %s | %s | %s | %.2f× | %s | %s | %s / %s ms |\n' "$1" "$2" "$rate" \
        "$(awk -v a="$rate" -v b="$ref" 'BEGIN { print a / b }')" "$(col "$c" 2)" \
        "$( [ "$1" = sqlite ] && echo "-" || col "$c" 3)" "$(col "$c" 4)" "$(col "$c" 5)"
done
echo
echo "Target (issue #19): one PostgreSQL worker >= 0.5x one SQLite process."
