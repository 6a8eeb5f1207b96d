#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Delivery to slow receivers, at real-world scale: one command, prints the tables.
#   bash tests/bench/concurrency_bench.sh [ROUNDS]
# A Node server on 127.0.0.1 answers every request 204 after 100 ms (it holds thousands of
# waiting requests). In the same run it measures:
#  1. one endpoint allowed 64 attempts at once, 600 deliveries: Hookline's full core vs
#     curl --parallel --parallel-max 64 with the same count and body (target >= 0.9x curl);
#  2. 20 endpoints x 50 at once (1,000 concurrent): deliveries/s, CPU per delivery and peak
#     RSS, vs bare QNetworkAccessManagers as Qt comes holding the same 1,000 connections
#     (target >= 0.8x, peak RSS <= 250 MiB), and vs the same with the dispatcher's bulk reads;
#  3. a backlog of 1,000,000 queued deliveries: peak RSS of 'hookline run' over 20 s vs the
#     same with an empty queue (target: within +100 MiB).
# The fast-server table (nginx 204, 6 connections) is tests/bench/delivery_bench.sh.
# Only loopback is used. Installs node, curl and sqlite3 if missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
rounds="${1:-3}"

bash .ci/quickstart deps
. "$here/tests/bench/nginx204.sh"
install_missing curl sqlite3
command -v node >/dev/null || install_missing nodejs

cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/bench --target bench_delivery hookline >/dev/null
bench=build/bench/tests/bench_delivery
hookline=build/bench/app/hookline

work="$(mktemp -d)"
port=$((20000 + RANDOM % 20000))
node tests/bench/slow_server.js "$port" 100 > "$work/server.log" 2>&1 &
server_pid=$!
run_pid=""
cleanup() {
    [ -n "$run_pid" ] && kill "$run_pid" 2>/dev/null
    kill "$server_pid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 50); do
    grep -q listening "$work/server.log" && break
    sleep 0.1
done
url="http://127.0.0.1:$port/hook"
"$bench" body - 0 > "$work/body.json"

value() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "1. one endpoint, 64 at once, 600 deliveries, 100 ms server ($rounds rounds)..." >&2
cores=(); curls=(); lines=()
for r in $(seq "$rounds"); do
    line=$("$bench" wide "$url" 600 1 64)
    lines+=("$line")
    cores+=("$(echo "$line" | value rate)")
    start=$(date +%s%N)
    curl -sS -Z --parallel-max 64 -X POST -H 'Content-Type: application/json' \
        --data-binary @"$work/body.json" "http://127.0.0.1:$port/c[1-600]" > /dev/null
    end=$(date +%s%N)
    curls+=("$(awk -v ns=$((end - start)) 'BEGIN { printf "%.0f", 600 / (ns / 1e9) }')")
done
core1=$(printf '%s\n' "${cores[@]}" | median)
curl1=$(printf '%s\n' "${curls[@]}" | median)

echo "2. 20 endpoints x 50 at once (1,000 concurrent), 20,000 deliveries ($rounds rounds)..." >&2
wides=(); pools=(); bpools=(); wide_lines=(); pool_lines=(); bpool_lines=()
for r in $(seq "$rounds"); do
    w=$("$bench" wide "$url" 20000 20 50)
    p=$("$bench" pool "$url" 20000 1000)
    b=$("$bench" pool-buffered "$url" 20000 1000)
    wide_lines+=("$w"); pool_lines+=("$p"); bpool_lines+=("$b")
    wides+=("$(echo "$w" | value rate)")
    pools+=("$(echo "$p" | value rate)")
    bpools+=("$(echo "$b" | value rate)")
done
wide=$(printf '%s\n' "${wides[@]}" | median)
pool=$(printf '%s\n' "${pools[@]}" | median)
bpool=$(printf '%s\n' "${bpools[@]}" | median)
pick() { # the line of the given mode whose rate is the median
    local want="$1"; shift
    for l in "$@"; do [ "$(echo "$l" | value rate)" = "$want" ] && { echo "$l"; return; }; done
}
wide_line=$(pick "$wide" "${wide_lines[@]}")
pool_line=$(pick "$pool" "${pool_lines[@]}")
bpool_line=$(pick "$bpool" "${bpool_lines[@]}")

echo "3. backlog: 1,000,000 queued deliveries vs an empty queue..." >&2
rss_of_run() { # DATA_DIR: peak RSS (KiB) of 'hookline run' over 20 s
    "$hookline" --data-dir "$1" run --quiet &
    run_pid=$!
    sleep 20
    local hwm
    hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$run_pid/status")
    kill -TERM "$run_pid"; wait "$run_pid" 2>/dev/null || true
    run_pid=""
    echo "$hwm"
}
for d in empty full; do
    mkdir -p "$work/$d"
    "$hookline" --data-dir "$work/$d" endpoints add --url "$url" --name slow > /dev/null
done
"$hookline" --data-dir "$work/full" fire call.ringing > /dev/null
db="$work/full/hookline.sqlite"
[ -f "$db" ] || db=$(ls "$work"/full/*.sqlite | head -1)
fill_start=$(date +%s)
sqlite3 "$db" > /dev/null <<SQL
PRAGMA busy_timeout = 10000;
INSERT INTO deliveries (id, event_id, event_type, endpoint_id, webhook_id, state, attempt_count,
                        created, updated, next_attempt, due_at, claim_owner)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 999999)
SELECT printf('backlog-%07d', i), d.event_id, d.event_type, d.endpoint_id,
       printf('msg_backlog%07d', i), 'pending', 0, d.created, d.updated, d.next_attempt,
       d.due_at, ''
FROM n, (SELECT * FROM deliveries LIMIT 1) AS d;
SQL
fill_seconds=$(( $(date +%s) - fill_start ))
queued=$(sqlite3 "$db" "SELECT count(*) FROM deliveries WHERE due_at IS NOT NULL")
rss_empty=$(rss_of_run "$work/empty")
rss_full=$(rss_of_run "$work/full")

cat <<TABLE

| Slow receiver (100 ms), one run | Hookline | Reference | Ratio | Target |
|---|---:|---:|---:|---:|
| 1 endpoint × 64 at once, 600 deliveries/s | $core1 | curl --parallel-max 64: $curl1 | $(ratio "$core1" "$curl1") | ≥ 0.9 |
| 20 endpoints × 50 at once, deliveries/s | $wide | bare QNAM pool, 1,000 conns: $pool | $(ratio "$wide" "$pool") | ≥ 0.8 |
| … the same, like for like | $wide | bare pool with bulk reads: $bpool | $(ratio "$wide" "$bpool") | |
| … CPU per delivery (µs, all threads) | $(echo "$wide_line" | value cpu_us) | $(echo "$pool_line" | value cpu_us) / $(echo "$bpool_line" | value cpu_us) | | |
| … peak RSS (MiB) | $(( $(echo "$wide_line" | value peak_rss_kib) / 1024 )) | $(( $(echo "$pool_line" | value peak_rss_kib) / 1024 )) | | ≤ 250 |
| … network managers (threads) open | $(echo "$wide_line" | value pools) | $(echo "$pool_line" | value managers) | | |
| Backlog: peak RSS of 'hookline run', MiB | $queued queued: $(( rss_full / 1024 )) | empty queue: $(( rss_empty / 1024 )) | +$(( (rss_full - rss_empty) / 1024 )) MiB | ≤ +100 MiB |

Rounds: one endpoint ${cores[*]} vs curl ${curls[*]}; 1,000 concurrent ${wides[*]} vs pool ${pools[*]} vs bulk-read pool ${bpools[*]}.
Backlog filled in ${fill_seconds} s. Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Qt $(dpkg-query -W -f='${Version}' libqt6core6 2>/dev/null | cut -d- -f1), node $(node --version), $(curl --version | head -1 | cut -d' ' -f1-2).
Details: ${wide_line}
TABLE
