#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# History and Live benchmark: one command, prints a table.
#   bash tests/bench/history_bench.sh [ROWS]
# Builds bench_history (Release), fills a store with ROWS (default 1,000,000) final
# deliveries (kept in build/bench/ for the next run), then opens the real main window on
# the offscreen platform and times the History page and the Live panel; the same app on an
# empty store gives the memory baseline.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
rows="${1:-1000000}"
bash .ci/quickstart deps
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/bench --target bench_history >/dev/null
bench=build/bench/tests/bench_history
full="build/bench/history-v3-$rows"
empty="$(mktemp -d)"
trap 'rm -rf "$empty"' EXIT
mkdir -p "$full"
echo "Preparing $rows deliveries in $full ..." >&2
"$bench" generate "$full" "$rows" >&2
m=$("$bench" measure "$full" 2>/dev/null)
e=$("$bench" measure "$empty" 2>/dev/null)
value() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
mem=$(( ($(echo "$m" | value rss_kib) - $(echo "$e" | value rss_kib)) / 1024 ))
cat <<TABLE

| History with $(echo "$m" | value rows) deliveries (offscreen, Release) | measured | target |
|---|---:|---:|
| start to first painted History page | $(echo "$m" | value first_page_ms) ms | ≤ 250 ms |
| apply a state filter (failed: $(echo "$m" | value failed_rows) rows) | $(echo "$m" | value filter_state_ms) ms | ≤ 50 ms |
| apply a code-class filter (5xx) | $(echo "$m" | value filter_code_ms) ms | ≤ 50 ms |
| jump to the middle of the table | $(echo "$m" | value jump_middle_ms) ms | ≤ 50 ms |
| jump to the middle of the state filter's rows | $(echo "$m" | value jump_filtered_ms) ms | ≤ 50 ms |
| jump to the end | $(echo "$m" | value jump_end_ms) ms | |
| text search in payloads and responses, off the GUI thread ($(echo "$m" | value search_matches) matches) | $(echo "$m" | value search_ms) ms | ≤ 500 ms |
| memory above the same app with an empty store | $mem MiB | ≤ 100 MB |
| Live panel at 2,000 deliveries/s: GUI-thread stall p99 (max) | $(echo "$m" | value stall_p99_ms) ms ($(echo "$m" | value stall_max_ms) ms) | ≤ 16 ms |
| endpoint view of the endpoint with all $(echo "$m" | value rows) deliveries: select to charts painted | $(echo "$m" | value endpoint_view_ms) ms | ≤ 300 ms |
| the same, switched to the last 7 days ($(echo "$m" | value week_attempts) attempts) | $(echo "$m" | value endpoint_week_ms) ms | ≤ 300 ms |
| endpoint view following its counts written at 2,000 attempts/s: GUI-thread stall p99 (max) | $(echo "$m" | value view_stall_p99_ms) ms ($(echo "$m" | value view_stall_max_ms) ms) | ≤ 16 ms |
TABLE
