#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Regenerates the README's screenshots from the real app under Xvfb:
#   bash packaging/screenshots/take.sh [path/to/hookline]
# Uses a throw-away data directory and HOME, Hookline's own receiver on 127.0.0.1, and the
# command line to create endpoints and traffic. Needs xvfb and imagemagick (installed if
# missing).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:-$root/build/release/app/hookline}"
[ -x "$bin" ] || { echo "build first: bash .ci/quickstart run (or pass the hookline binary)" >&2; exit 1; }
for p in xvfb xauth imagemagick; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="${missing:-} $p"
done
if [ -n "${missing:-}" ]; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
fi

work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
export HOME="$work/home" XDG_RUNTIME_DIR="$work/run"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
data=(--data-dir "$work/data")
secret=$("$bin" "${data[@]}" endpoints add --url http://127.0.0.1:9/x --name tmp --generate-secret 2>&1 >/dev/null | sed -n 's/.*: \(whsec_.*\)/\1/p')
"$bin" "${data[@]}" endpoints remove "$("$bin" "${data[@]}" endpoints list --json | sed -n 's/.*"id": "\([^"]*\)".*/\1/p' | head -n1)" >/dev/null 2>&1
port=$((30000 + RANDOM % 20000))
"$bin" receive --port "$port" --inbox crm --secret "$secret" --delay-ms 12 >/dev/null 2>&1 &
sleep 0.5
"$bin" "${data[@]}" endpoints add --url "http://127.0.0.1:$port/inbox/crm" --name "CRM call log" \
    --secret "$secret" --header 'x-api-key: 7c1e-demo' >/dev/null
"$bin" "${data[@]}" endpoints add --url "http://127.0.0.1:$port/inbox/wallboard" --name "Wallboard" \
    --event call.ringing --event call.answered --format xml >/dev/null
"$bin" "${data[@]}" endpoints add --url "http://127.0.0.1:1/legacy" --name "Legacy ERP" \
    --event call.ended --max-attempts 1 >/dev/null
# The window's own receiver: pin its port and point an endpoint at its "test" inbox.
gui_port=$((port + 1))
mkdir -p "$HOME/.config/Hookline"
printf '[receiver]\nport=%s\n[window]\ngeometry=\n' "$gui_port" > "$HOME/.config/Hookline/Hookline.conf"
"$bin" "${data[@]}" endpoints add --url "http://127.0.0.1:$gui_port/inbox/test" --name "Local test inbox" \
    --secret "$secret" >/dev/null
"$bin" "${data[@]}" scenario call --wait >/dev/null || true
"$bin" "${data[@]}" scenario agent --wait >/dev/null || true
"$bin" "${data[@]}" fire call.ended --wait >/dev/null || true
# Some history for the endpoint view's charts: bursts a few minutes apart would take too
# long, so one burst of ringing calls, a tenth of them answered 503 and retried.
"$bin" receive --port "$((port + 2))" --inbox crm --secret "$secret" --delay-ms 25 --fail-rate 0.1 >/dev/null 2>&1 &
sleep 0.5
"$bin" "${data[@]}" endpoints update "CRM call log" --url "http://127.0.0.1:$((port + 2))/inbox/crm" >/dev/null
"$bin" "${data[@]}" fire call.ringing --count 60 --wait >/dev/null 2>&1 || true

shot() { # page, file, seconds, extra command run while the window is up, language
    xvfb-run -a -s "-screen 0 1240x780x24" bash -c "
        '$bin' --data-dir '$work/data' --page $1 --lang ${5:-en} & app=\$!
        sleep 2; ${4:-true}; sleep ${3:-1}
        import -window root '$here/$2'
        kill \$app" >/dev/null 2>&1
    echo "wrote packaging/screenshots/$2"
}
shot endpoints endpoints.png 0.5
shot endpoints endpoints-ar.png 0.5 true ar
shot events events.png 0.5
# Live: queue work without --wait; the window's engine picks it up and sends it.
shot live live.png 3 "'$bin' --data-dir '$work/data' scenario call >/dev/null 2>&1; '$bin' --data-dir '$work/data' fire agent.login --count 3 >/dev/null 2>&1"
shot history history.png 0.5
shot receiver receiver.png 3 "'$bin' --data-dir '$work/data' fire call.ringing --count 4 >/dev/null 2>&1"
shot history history-ar.png 0.5 true ar
