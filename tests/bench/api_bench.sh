#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# API publishing benchmark: one command, prints a table.
#   bash tests/bench/api_bench.sh [SECONDS] [CONNECTIONS] [RATE]
# (RATE: the second run's rate instead of half the first's, to map latency against load.)
# Starts Debian's nginx on 127.0.0.1 answering 204 as the one endpoint, 'hookline serve'
# (Release build) on a data directory on disk, and publishes call.ended events to
# POST /api/v1/events:
#   1. autocannon (npm), as fast as it goes for SECONDS with CONNECTIONS connections: events
#      accepted per second (each 202 means the event and its delivery were committed and synced);
#   2. at half that rate, steadily (api_load.js: request i leaves at i/rate - autocannon's own
#      rate limit sends bursts, which measures its bursts, not Hookline): publish latency
#      (request to 202, as the client sees it) and publish-to-first-attempt latency (the
#      delivery's creation to its first attempt's start, from the store), p50 and p99.
# Targets (issue #15, 2-core reference machine): >= 3,000 events/s accepted durably; p99
# publish-to-first-attempt <= 20 ms at half load. Only loopback is used.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
seconds="${1:-10}"
connections="${2:-32}"
fixed_rate="${3:-}"

bash .ci/quickstart deps
. "$here/tests/bench/nginx204.sh"
install_missing nginx sqlite3

cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/bench --target hookline >/dev/null
hookline="$here/build/bench/app/hookline"
npm install --silent --no-audit --no-fund --prefix build/bench/npm autocannon@7.15.0 >/dev/null
autocannon="$here/build/bench/npm/node_modules/.bin/autocannon"

# On disk, not tmpfs: "accepted" has to mean synced to a real file system.
work="$(mktemp -d -p "$here/build/bench" api-bench.XXXXXX)"
port=$((20000 + RANDOM % 20000))
api=$((port + 1))
start_nginx204 "$work" "$port"
serve_pid=""
cleanup() {
    [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
    kill $nginx_pid 2>/dev/null; wait $nginx_pid 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

data="$work/data"
"$hookline" --data-dir "$data" endpoints add --url "http://127.0.0.1:$port/hook" \
    --name sink --event call.ended >/dev/null
token="$("$hookline" --data-dir "$data" tokens create --name bench 2>/dev/null)"
"$hookline" --data-dir "$data" serve --listen "127.0.0.1:$api" --no-receiver \
    --rate-limit 1000000 --burst 1000000 >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 100); do
    grep -q "listening on" "$work/serve.log" && break
    sleep 0.1
done
url="http://127.0.0.1:$api/api/v1/events"
body='{"type":"call.ended","payload":{"callId":"c-0001","from":"+15550100","to":"+15550199","agentId":"a-7","durationSeconds":97,"endReason":"hangup"}}'

publish() { # extra autocannon arguments...
    "$autocannon" -j -m POST -H "Authorization=Bearer $token" \
        -H "Content-Type=application/json" -b "$body" "$@" "$url" 2>/dev/null
}

# 1. As fast as it goes.
publish -c "$connections" -d "$seconds" > "$work/max.json"
read -r accepted_rate non2xx errors <<<"$(python3 - "$work/max.json" "$seconds" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ok = r.get("2xx", 0)
print(f"{ok / float(sys.argv[2]):.0f} {r.get('non2xx', 0)} {r.get('errors', 0)}")
PY
)"

# Phase 1 accepted faster than one endpoint takes them: let the backlog drain first, so the
# second run measures its own events, not the queue in front of them.
for _ in $(seq 600); do
    left="$(sqlite3 "$data/hookline.sqlite" \
        "SELECT count(*) FROM deliveries WHERE state IN ('pending','in-flight','retrying')")"
    [ "$left" = "0" ] && break
    sleep 0.5
done

# 2. At half that rate.
half=$((accepted_rate / 2))
[ -n "$fixed_rate" ] && half="$fixed_rate"
start_ms=$(date +%s%3N)
node "$here/tests/bench/api_load.js" "$url" "$token" "$body" "$half" "$seconds" "$connections" \
    > "$work/half.json"
sleep 2 # the last attempts finish
python3 - "$work/half.json" "$data/hookline.sqlite" "$start_ms" "$accepted_rate" "$half" \
    "$non2xx" "$errors" "$connections" "$seconds" <<'PY'
import json, sqlite3, sys
half_run = json.load(open(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
start = int(sys.argv[3])
rate, half, non2xx, errors, conns, secs = (int(x) for x in sys.argv[4:10])
rows = [r[0] for r in db.execute(
    "SELECT a.started - d.created FROM attempts a JOIN deliveries d ON d.id = a.delivery_id "
    "WHERE a.number = 1 AND d.created >= ? ORDER BY 1", (start,))]
def pct(values, p):
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")
rate_seen = half_run["ok"] / half_run["seconds"]
print()
print(f"API publishing ({conns} connections, {secs} s per run; one endpoint, nginx 204)")
print()
print("| measure | figure | target |")
print("|---|---|---|")
print(f"| events accepted durably (202) per second, max | {rate:,} | >= 3,000 |")
print(f"| non-2xx / errors in the max run | {non2xx} / {errors} | 0 / 0 |")
print(f"| half load: events accepted per second | {rate_seen:,.0f} (asked {half:,}; non-2xx {half_run['non2xx']}, errors {half_run['errors']}) | |")
print(f"| half load: publish to 202, p50 / p99 | {half_run['p50']:.1f} / {half_run['p99']:.1f} ms | |")
print(f"| half load: publish to first attempt, p50 / p99 | {pct(rows, 0.5):.0f} / {pct(rows, 0.99):.0f} ms ({len(rows):,} deliveries) | p99 <= 20 ms |")
PY
