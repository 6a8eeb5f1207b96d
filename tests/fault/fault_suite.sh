#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Fault injection against the real hookline binary and its built-in receiver, all on
# 127.0.0.1. For each fault it counts what was accepted (ids printed by 'fire', or rows in
# the store), what arrived at the receiver (by webhook-id), what was lost (must be 0) and
# what arrived twice (must be 0 without a crash; after kill -9, at most the attempts that
# were in flight). Every kill is followed by PRAGMA integrity_check.
#
#   tests/fault/fault_suite.sh HOOKLINE_BINARY [--kills N] [--backlog N] [--quick]
#
# --quick is the CI budget (a few minutes under the sanitizer build); the README's long run
# uses the Release binary with --kills 300 --backlog 50000. Needs sqlite3; the full-disk
# and read-only cases need root (tmpfs and bind mounts) and are skipped otherwise.
# Ends with 'N passed, N failed' on a line of its own; exits 1 if any case failed.
set -uo pipefail

hl="${1:?usage: fault_suite.sh HOOKLINE_BINARY [--kills N] [--backlog N] [--quick]}"
hl="$(cd "$(dirname "$hl")" && pwd)/$(basename "$hl")"
shift
kills=300
backlog=50000
fire_count=2000
while [ $# -gt 0 ]; do
    case "$1" in
    --kills) kills="$2"; shift 2 ;;
    --backlog) backlog="$2"; shift 2 ;;
    --quick) kills=24; backlog=5000; fire_count=600; shift ;;
    *) echo "fault_suite: unknown option $1" >&2; exit 2 ;;
    esac
done
command -v sqlite3 >/dev/null || { echo "fault_suite: needs sqlite3 (apt-get install sqlite3)" >&2; exit 2; }

work="$(mktemp -d /tmp/hookline-faults.XXXXXX)"
mounts=()
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    for m in "${mounts[@]}"; do umount -l "$m" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
export XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/xdg-data" QT_QPA_PLATFORM=offscreen
# The sanitizer build's leak report on a killed or stopped process is noise here.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"

passed=0
failed=0
report() { # name ok(0/1) text
    if [ "$2" = 0 ]; then passed=$((passed + 1)); echo "PASS  $1: $3"; else failed=$((failed + 1)); echo "FAIL  $1: $3"; fi
}

q() { sqlite3 -batch -noheader "$1/hookline.sqlite" "PRAGMA busy_timeout=20000;" "$2" 2>&1 | grep -v '^20000$'; }
unfinished() { q "$1" "SELECT COUNT(*) FROM deliveries WHERE state IN ('pending','in-flight','retrying');"; }
integrity() { q "$1" "PRAGMA integrity_check;" | head -n 1; }

# A receiver that logs every request as one JSON line; its port is read from its banner.
start_receiver() { # dir inbox
    "$hl" receive --port 0 --inbox "$2" --json >"$1/arrivals.jsonl" 2>"$1/receiver.err" &
    local pid=$!
    pids+=("$pid")
    for _ in $(seq 100); do
        grep -q 'Receiving on' "$1/receiver.err" 2>/dev/null && break
        sleep 0.05
    done
    sed -n 's|.*Receiving on \(http://127.0.0.1:[0-9]*/inbox/[^ ]*\).*|\1|p' "$1/receiver.err" | head -n 1 >"$1/url"
    echo "$pid" >"$1/receiver.pid"
}
arrivals_total() { cat "$1/arrivals.jsonl" 2>/dev/null | grep -c '"webhook-id"'; true; }
arrival_ids() { grep -o '"webhook-id","msg_[^"]*"' "$1/arrivals.jsonl" 2>/dev/null | cut -d'"' -f4; }
setup_store() { # dir [extra endpoint args...]
    local dir="$1"; shift
    mkdir -p "$dir/data"
    start_receiver "$dir" fault
    "$hl" --data-dir "$dir/data" endpoints add --url "$(cat "$dir/url")" --name fault \
        --event call.ringing --retry-schedule 1 --max-attempts 50 "$@" >/dev/null 2>&1
}
# Waits until nothing is unfinished (a deliverer must be running), at most $2 seconds.
drain() { # datadir seconds
    local end=$((SECONDS + $2))
    while [ $SECONDS -lt $end ]; do
        [ "$(unfinished "$1")" = 0 ] && return 0
        sleep 0.5
    done
    return 1
}
stop() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
# Lost = deliveries the store accepted (or fire printed) that never arrived; duplicates =
# arrivals beyond one per webhook-id.
count() { # dir accepted-ids-file -> "accepted arrived lost duplicates"
    local dir="$1" acc="$2"
    q "$dir/data" "SELECT id || ' ' || webhook_id FROM deliveries WHERE endpoint_id = (SELECT id FROM endpoints WHERE name='fault');" | sort >"$dir/stored"
    # Only this endpoint's webhook-ids: another endpoint's intended resends are not counted.
    arrival_ids "$dir" | sort | join - <(cut -d' ' -f2 "$dir/stored" | sort) >"$dir/arrived.all"
    uniq "$dir/arrived.all" >"$dir/arrived"
    local printed_missing=0
    if [ -s "$acc" ]; then
        printed_missing=$(sort -u "$acc" | join -v1 - <(cut -d' ' -f1 "$dir/stored") | wc -l)
    fi
    local not_arrived
    not_arrived=$(cut -d' ' -f2 "$dir/stored" | sort | join -v1 - "$dir/arrived" | wc -l)
    echo "$(wc -l <"$dir/stored") $(wc -l <"$dir/arrived") $((printed_missing + not_arrived)) $(($(wc -l <"$dir/arrived.all") - $(wc -l <"$dir/arrived")))"
}
full_ids() { grep -E '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "$@" 2>/dev/null; }

# --- 1. kill -9 at random moments of every process kind -------------------------------
case_kills() {
    local dir="$work/kills" corrupt=0 n_fire=0 n_run=0 n_redeliver=0 n_window=0 i
    setup_store "$dir"
    local data="$dir/data"
    : >"$dir/accepted"
    # A second endpoint, on another event type, for 'redeliver': its intended resends are
    # not duplicates and are kept out of the count.
    "$hl" --data-dir "$data" endpoints add --url "$(cat "$dir/url")" --name resend \
        --event agent.login >/dev/null 2>&1
    "$hl" --data-dir "$data" fire agent.login --wait >/dev/null 2>&1
    local target
    target=$(q "$data" "SELECT id FROM deliveries WHERE event_type='agent.login' LIMIT 1;")
    for ((i = 0; i < kills; i++)); do
        local kind=$((RANDOM % 5)) delay pid
        delay=$(printf '0.%03d' $((RANDOM % 1000)))
        case $kind in
        0 | 1) # fire, large enough to spill SQLite's page cache; some kills land after exit
            "$hl" --data-dir "$data" fire call.ringing --count "$fire_count" >"$dir/fire.out" 2>/dev/null &
            pid=$!; n_fire=$((n_fire + 1)) ;;
        2) "$hl" --data-dir "$data" run --quiet >/dev/null 2>&1 & pid=$!; n_run=$((n_run + 1)) ;;
        3) "$hl" --data-dir "$data" redeliver "$target" --wait >/dev/null 2>&1 & pid=$!; n_redeliver=$((n_redeliver + 1)) ;;
        4) "$hl" --data-dir "$data" --page live >/dev/null 2>&1 & pid=$!; n_window=$((n_window + 1)); delay="1.$((RANDOM % 10))" ;;
        esac
        sleep "$delay"
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        [ "$kind" -le 1 ] && full_ids "$dir/fire.out" >>"$dir/accepted"
        [ "$(integrity "$data")" = ok ] || corrupt=$((corrupt + 1))
    done
    "$hl" --data-dir "$data" run --quiet >/dev/null 2>&1 &
    local runner=$!
    pids+=("$runner")
    drain "$data" 600
    sleep 1
    stop "$runner"
    read -r accepted arrived lost dups < <(count "$dir" "$dir/accepted")
    local sending=$((n_run + n_window))
    # An attempt is in flight until its outcome is committed: at most the connections to the
    # endpoint (6) plus the outcomes waiting for the writer's next commit, per killed sender.
    # The bound checked is the dispatcher's in-flight limit (64) per killed sender.
    local ok=0
    { [ "$lost" = 0 ] && [ "$corrupt" = 0 ] && [ "$dups" -le $((sending * 64)) ] && [ "$accepted" -gt 0 ]; } || ok=1
    report "kill -9" $ok "kills $kills (fire $n_fire, run $n_run, redeliver --wait $n_redeliver, window $n_window); accepted $accepted, printed by fire $(sort -u "$dir/accepted" | wc -l), arrived $arrived, lost $lost, duplicates $dups (bound $((sending * 64))), corrupt $corrupt"
}

# --- 2. several processes on one store, no crash: no duplicates ------------------------
case_processes() {
    local dir="$work/procs"
    setup_store "$dir"
    local data="$dir/data" n=$((fire_count * 3))
    "$hl" --data-dir "$data" fire call.ringing --count "$n" >"$dir/accepted" 2>/dev/null
    "$hl" --data-dir "$data" run --quiet >/dev/null 2>&1 & local a=$!
    "$hl" --data-dir "$data" run --quiet >/dev/null 2>&1 & local b=$!
    "$hl" --data-dir "$data" --page live >/dev/null 2>&1 & local w=$!
    pids+=("$a" "$b" "$w")
    # and 'fire --wait' while they run
    "$hl" --data-dir "$data" fire call.ringing --count 50 --wait >"$dir/wait.out" 2>/dev/null
    drain "$data" 300
    sleep 2.5 # every process polls again
    stop "$a"; stop "$b"; kill -TERM "$w" 2>/dev/null; wait "$w" 2>/dev/null
    read -r accepted arrived lost dups < <(count "$dir" "$dir/accepted")
    local ok=0
    { [ "$lost" = 0 ] && [ "$dups" = 0 ] && [ "$accepted" = $((n + 50)) ]; } || ok=1
    report "run + run + window + fire --wait" $ok "accepted $accepted, arrived $arrived, lost $lost, duplicates $dups"
}

# --- 3. a backlog with no crash: no duplicates; the idle poll does not grow with it ----
main_thread_ticks() { awk '{print $14 + $15}' "/proc/$1/task/$1/stat" 2>/dev/null || echo 0; }
case_backlog() {
    local dir="$work/backlog"
    setup_store "$dir"
    local data="$dir/data"
    "$hl" --data-dir "$data" fire call.ringing --count "$backlog" >"$dir/accepted" 2>/dev/null
    # All of it scheduled for tomorrow first: what does an idle 'run' cost per second?
    q "$data" "UPDATE deliveries SET state='retrying', due_at = due_at + 86400000, next_attempt = due_at + 86400000;" >/dev/null
    "$hl" --data-dir "$data" run --quiet >/dev/null 2>&1 & local r=$!
    pids+=("$r")
    sleep 2
    local t0 t1 hz
    hz=$(getconf CLK_TCK)
    t0=$(main_thread_ticks "$r"); sleep 5; t1=$(main_thread_ticks "$r")
    local idle_ms=$(((t1 - t0) * 1000 / hz / 5))
    # Now due: time to the first arrival, and everything exactly once.
    local before
    before=$(date +%s%N)
    q "$data" "UPDATE deliveries SET due_at = CAST(strftime('%s','now') AS INTEGER) * 1000, next_attempt = NULL WHERE state='retrying';" >/dev/null
    while [ "$(arrivals_total "$dir")" = 0 ] && [ $(( ($(date +%s%N) - before) / 1000000 )) -lt 30000 ]; do sleep 0.01; done
    local first_ms=$(( ($(date +%s%N) - before) / 1000000 ))
    local d0 d1; d0=$(main_thread_ticks "$r")
    drain "$data" 900
    local drained_ms=$(( ($(date +%s%N) - before) / 1000000 ))
    d1=$(main_thread_ticks "$r")
    sleep 2
    stop "$r"
    read -r accepted arrived lost dups < <(count "$dir" "$dir/accepted")
    local ok=0
    { [ "$lost" = 0 ] && [ "$dups" = 0 ] && [ "$idle_ms" -le 20 ] && [ "$accepted" = "$backlog" ]; } || ok=1
    report "backlog" $ok "accepted $accepted, arrived $arrived, lost $lost, duplicates $dups; idle main thread with $backlog due tomorrow ${idle_ms} ms CPU/s; first arrival ${first_ms} ms after they came due; all in ${drained_ms} ms (main thread $(((d1 - d0) * 1000 / hz)) ms CPU)"
}

# --- 4. a file system that fills up, while firing and while delivering ------------------
case_full_disk() {
    local dir="$work/full"
    mkdir -p "$dir/data"
    if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=3m tmpfs "$dir/data" 2>/dev/null; then
        report "full disk" 0 "skipped (needs root for a tmpfs)"
        return
    fi
    mounts+=("$dir/data")
    setup_store "$dir"
    local data="$dir/data"
    "$hl" --data-dir "$data" fire call.ringing --count 20000 >"$dir/accepted" 2>"$dir/fire.err"
    local fire_rc=$?
    local printed; printed=$(full_ids "$dir/accepted" | wc -l)
    "$hl" --data-dir "$data" run >/dev/null 2>"$dir/run.err" & local r=$!
    pids+=("$r")
    sleep 3
    local during0 during1; during0=$(arrivals_total "$dir"); sleep 4; during1=$(arrivals_total "$dir")
    # Fill what is left while it delivers, then free it.
    mount -o remount,size=64m "$data"
    drain "$data" 300
    # Fill again while delivering a second batch.
    "$hl" --data-dir "$data" fire call.ringing --count 1500 >>"$dir/accepted" 2>/dev/null
    dd if=/dev/zero of="$data/filler" bs=1M count=80 2>/dev/null
    sleep 3
    rm -f "$data/filler"
    drain "$data" 300
    sleep 1.5
    stop "$r"
    local stored; stored=$(q "$data" "SELECT COUNT(*) FROM deliveries;")
    read -r accepted arrived lost dups < <(count "$dir" "$dir/accepted")
    local ok=0
    { [ "$fire_rc" = 1 ] && [ "$lost" = 0 ] && [ "$dups" = 0 ] && [ $((during1 - during0)) -le 64 ] &&
        grep -q 'cannot be written' "$dir/run.err" && grep -q 'can be written again' "$dir/run.err" &&
        grep -qE 'could not (be stored|store)' "$dir/fire.err" && [ "$(integrity "$data")" = ok ]; } || ok=1
    report "full disk" $ok "fire exit $fire_rc ($printed of 20000 stored and printed: '$(head -c 120 "$dir/fire.err")…'); run sent $((during1 - during0)) requests in 4 s on the full disk; then stored $stored, arrived $arrived, lost $lost, duplicates $dups"
}

# --- 5. a read-only database file and one locked by another program ---------------------
case_readonly_and_locked() {
    local dir="$work/ro"
    setup_store "$dir"
    local data="$dir/data"
    "$hl" --data-dir "$data" fire call.ringing --count 10 >"$dir/accepted" 2>/dev/null
    if [ "$(id -u)" = 0 ] && mkdir -p "$dir/ro" && mount --bind "$data" "$dir/ro" 2>/dev/null &&
        mount -o remount,ro,bind "$dir/ro" 2>/dev/null; then
        mounts+=("$dir/ro")
        "$hl" --data-dir "$dir/ro" fire call.ringing >"$dir/ro.out" 2>"$dir/ro.err"
        local rc=$?
        local ok=0
        { [ "$rc" = 1 ] && [ ! -s "$dir/ro.out" ] && grep -q 'read-only' "$dir/ro.err"; } || ok=1
        report "read-only database" $ok "fire exit $rc, printed $(wc -l <"$dir/ro.out") ids: $(head -c 160 "$dir/ro.err")"
        umount -l "$dir/ro"
    else
        report "read-only database" 0 "skipped (needs root for a read-only bind mount)"
    fi
    # Another program holds the write lock for 14 s; Hookline waits 10 s, then says so.
    { echo "BEGIN EXCLUSIVE;"; echo "UPDATE endpoints SET name = name;"; sleep 14; echo "COMMIT;"; } |
        sqlite3 "$data/hookline.sqlite" >/dev/null 2>&1 &
    local locker=$!
    sleep 0.5
    "$hl" --data-dir "$data" fire call.ringing >"$dir/locked.out" 2>"$dir/locked.err"
    local rc=$?
    wait "$locker"
    "$hl" --data-dir "$data" run --quiet >/dev/null 2>&1 & local r=$!
    pids+=("$r")
    drain "$data" 60
    sleep 1
    stop "$r"
    read -r accepted arrived lost dups < <(count "$dir" "$dir/accepted")
    local ok=0
    { [ "$rc" = 1 ] && [ ! -s "$dir/locked.out" ] && grep -q 'locked' "$dir/locked.err" && [ "$lost" = 0 ] && [ "$dups" = 0 ]; } || ok=1
    report "locked database" $ok "fire exit $rc: $(head -c 160 "$dir/locked.err"); then accepted $accepted, arrived $arrived, lost $lost, duplicates $dups"
}

started=$SECONDS
case_processes
case_full_disk
case_readonly_and_locked
case_backlog
case_kills
echo "fault suite took $((SECONDS - started)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
