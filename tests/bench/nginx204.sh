# SPDX-License-Identifier: GPL-3.0-or-later
# Sourced by the benchmark scripts.
# install_missing PACKAGE...: installs the Debian packages that are not installed yet.
install_missing() {
    local need=() p sudo=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
    done
    [ ${#need[@]} -eq 0 ] && return 0
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
}

# start_nginx204 WORKDIR PORT starts Debian's nginx on
# 127.0.0.1:PORT answering every request 204 (no body, no log, long keep-alive), sets
# nginx_pid, and returns once the port accepts connections.
start_nginx204() {
    local work="$1" port="$2"
    cat > "$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/error.log warn;
$( [ "$(id -u)" -eq 0 ] && echo "user root;" )
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/body;
    keepalive_requests 10000000;
    keepalive_timeout 60s;
    server {
        listen 127.0.0.1:$port;
        location / { return 204; }
    }
}
CONF
    /usr/sbin/nginx -c "$work/nginx.conf" -p "$work" &
    nginx_pid=$!
    for _ in $(seq 50); do
        (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && return 0
        sleep 0.1
    done
}
