#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the libFuzzer harnesses with clang (ASan + UBSan) and runs each for SECONDS:
#   bash tests/fuzz/run.sh [SECONDS] [HARNESS...]
# CI runs every harness for 30 s (.ci/quickstart test); the README gives a long run's figures.
# Each starts from tests/fuzz/corpus/<name> (committed seeds) plus build/fuzz/corpus/<name>
# (what earlier runs found; not committed). A crash, leak or timeout fails the script and
# leaves the input in build/fuzz/findings/<name>/: fix it and add the input to the seeds.
# Inputs are at most 4 KiB (FUZZ_MAX_LEN): the parser harness caps heads at 2 KiB and bodies at
# 4 KiB, so longer inputs only repeat the limit paths, at a fraction of the speed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
seconds="${1:-30}"
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(http_parser validation template encoders signature)
build=build/fuzz

command -v clang++ >/dev/null || { echo "fuzz: clang++ is missing (Debian: clang libclang-rt-14-dev)" >&2; exit 1; }
CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOOKLINE_FUZZ=ON \
    -DHOOKLINE_WERROR=OFF -DHOOKLINE_HARDEN=OFF -DHOOKLINE_JEMALLOC=OFF >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" \
    --target "${harnesses[@]/#/fuzz_}" >/dev/null

status=0
printf '%-12s %10s %12s %8s  %s\n' harness seconds executions exec/s result
for h in "${harnesses[@]}"; do
    mkdir -p "$build/corpus/$h" "$build/findings/$h"
    log="$build/fuzz_$h.log"
    rc=0
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "$build/tests/fuzz/fuzz_$h" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len="${FUZZ_MAX_LEN:-4096}" -print_final_stats=1 -artifact_prefix="$build/findings/$h/" \
        "$build/corpus/$h" "tests/fuzz/corpus/$h" >"$log" 2>&1 || rc=$?
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
    result=ok
    if [ "$rc" -ne 0 ]; then
        result="FAILED (exit $rc, see $log)"
        status=1
        grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" | head -5 >&2 || true
    fi
    printf '%-12s %10s %12s %8s  %s\n' "$h" "$seconds" "${runs:-?}" "${speed:-?}" "$result"
done
exit "$status"
