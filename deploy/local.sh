#!/usr/bin/env bash
# The deployment of docs/deployment.md, on one machine: a PostgreSQL primary and a
# streaming replica made with pg_basebackup -R, two Parution servers that
# write to the primary and send anonymous reads to the replica, and nginx
# in front as load balancer and HTTP cache.
#
#   deploy/local.sh up BINARY   start it all, with BINARY as `parution`
#   deploy/local.sh up --image IMAGE
#                               the same with the container image IMAGE
#                               (podman, host network, the deployment's
#                               folder mounted at the same path)
#   deploy/local.sh restart N   restart Parution server N (1 or 2), taking it
#                               out of nginx's rotation first
#   deploy/local.sh logs        the end of each server's and nginx's log
#   deploy/local.sh down        stop it all
#
# Everything lives in $PARUTION_DEPLOY_DIR (default: parution-deploy in the
# temporary folder) and runs as the calling user, or as
# $PARUTION_DEPLOY_USER (default nobody) when called as root, since
# PostgreSQL refuses to run as root. PARUTION_* settings of the Parution
# servers (PARUTION_CACHE_MAX_AGE, PARUTION_RATE_LIMIT, …) pass through.
set -euo pipefail

dir=${PARUTION_DEPLOY_DIR:-${TMPDIR:-/tmp}/parution-deploy}
primary_port=${PARUTION_DEPLOY_PRIMARY_PORT:-25450}
replica_port=${PARUTION_DEPLOY_REPLICA_PORT:-25451}
parution_ports=("${PARUTION_DEPLOY_PORT_1:-28090}" "${PARUTION_DEPLOY_PORT_2:-28091}")
metrics_ports=("${PARUTION_DEPLOY_METRICS_PORT_1:-29090}" "${PARUTION_DEPLOY_METRICS_PORT_2:-29091}")
nginx_port=${PARUTION_DEPLOY_NGINX_PORT:-28095}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
here=$(cd "$(dirname "$0")" && pwd)

primary_url="postgres://parution@127.0.0.1:$primary_port/parution"
# The files both servers share (a mounted volume, or S3 in production).
storage_url=${PARUTION_STORAGE_URL:-file://$dir/files}
replica_url="postgres://parution@127.0.0.1:$replica_port/parution"

# as_user COMMAND…: runs COMMAND as the deployment's user, in place (exec),
# so that a server started in the background has the pid $! names.
if [ "$(id -u)" -eq 0 ]; then
    user=${PARUTION_DEPLOY_USER:-nobody}
    as_user=(setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups -- env HOME="$dir")
else
    as_user=(env HOME="$dir")
fi
as_user() { "${as_user[@]}" "$@"; }
if [ "$(id -u)" -eq 0 ]; then
    podman_user=(--user "$(id -u "$user"):$(id -g "$user")")
else
    podman_user=(--userns=keep-id --user "$(id -u):$(id -g)")
fi

# parution_command NAME=VALUE…: sets `cmd` to the command that runs
# `parution` (its arguments to follow) with those settings, as the
# deployment's user: the binary, or the image when the deployment has one.
parution_command() {
    local setting
    if [ -f "$dir/image" ]; then
        cmd=(podman run --rm --network host "${podman_user[@]}" --volume "$dir:$dir")
        for setting in "$@"; do cmd+=(--env "$setting"); done
        cmd+=("$(cat "$dir/image")")
    else
        cmd=("${as_user[@]}" "$@" "$dir/bin/parution")
    fi
}

# Waits up to 30 s for URL $1 to answer 200.
wait_for() {
    for _ in $(seq 150); do
        if [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ]; then return 0; fi
        sleep 0.2
    done
    echo "$1 did not answer 200 within 30 s" >&2
    return 1
}

# Starts Parution server $1 (1 or 2). From the image, the pid is podman's,
# which passes SIGTERM on to the server and exits with it.
start_parution() {
    local index=$(($1 - 1)) settings cmd
    mapfile -t settings <"$dir/settings.env"
    parution_command "${settings[@]}" \
        PARUTION_DATABASE_URL="$primary_url" \
        PARUTION_READ_DATABASE_URL="$replica_url" \
        PARUTION_BIND="127.0.0.1:${parution_ports[$index]}" \
        PARUTION_METRICS_BIND="127.0.0.1:${metrics_ports[$index]}" \
        PARUTION_TRUSTED_PROXIES=127.0.0.1 \
        PARUTION_LOG_FORMAT=json \
        PARUTION_STORAGE_URL="$storage_url"
    "${cmd[@]}" serve >>"$dir/parution-$1.log" 2>&1 &
    echo $! >"$dir/parution-$1.pid"
    wait_for "http://127.0.0.1:${parution_ports[$index]}/ready"
}

# Stops Parution server $1 with SIGTERM and waits for it to exit.
stop_parution() {
    local pid
    pid=$(cat "$dir/parution-$1.pid" 2>/dev/null) || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 400); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    echo "parution-$1 did not stop within 40 s" >&2
    return 1
}

nginx_run() { as_user nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -e "$dir/nginx/error.log" "$@"; }

# Writes nginx's configuration; server $1, if given, is marked down.
nginx_config() {
    sed -e "s|@DIR@|$dir|g" -e "s|@NGINX_PORT@|$nginx_port|g" \
        -e "s|@PARUTION_PORT_1@|${parution_ports[0]}|g" -e "s|@PARUTION_PORT_2@|${parution_ports[1]}|g" \
        "$here/nginx.conf" >"$dir/nginx/nginx.conf.new"
    if [ -n "${1:-}" ]; then
        sed -i -e "/# parution-$1\$/s/ max_fails=/ down max_fails=/" "$dir/nginx/nginx.conf.new"
    fi
    mv "$dir/nginx/nginx.conf.new" "$dir/nginx/nginx.conf"
}

up() {
    local binary=${1:?usage: deploy/local.sh up BINARY | up --image IMAGE} cmd
    if [ -e "$dir" ]; then
        echo "$dir exists: run deploy/local.sh down first" >&2
        return 1
    fi
    mkdir -p "$dir/nginx/temp"
    if [ "$binary" = --image ]; then
        echo "${2:?usage: deploy/local.sh up --image IMAGE}" >"$dir/image"
    else
        mkdir "$dir/bin"
        install -m 755 "$binary" "$dir/bin/parution"
    fi
    # The servers' own settings, kept for their restarts.
    env | grep '^PARUTION_' | grep -v '^PARUTION_DEPLOY_' >"$dir/settings.env" || true
    if [ "$(id -u)" -eq 0 ]; then chown -R "$user" "$dir"; fi

    # The primary: WAL for a replica is the default (wal_level=replica).
    as_user "$pg_bin/initdb" --pgdata "$dir/primary" --username parution --auth trust \
        --encoding UTF8 --locale C.UTF-8 >/dev/null
    as_user "$pg_bin/pg_ctl" --pgdata "$dir/primary" --wait --log "$dir/primary.log" \
        -o "-c listen_addresses=127.0.0.1 -p $primary_port -k $dir" start >/dev/null
    as_user "$pg_bin/createdb" -h 127.0.0.1 -p "$primary_port" -U parution parution

    # The replica: a copy of the primary that follows it (-R writes
    # primary_conninfo and standby.signal).
    as_user "$pg_bin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U parution \
        --pgdata "$dir/replica" -R --checkpoint=fast --wal-method=stream
    as_user "$pg_bin/pg_ctl" --pgdata "$dir/replica" --wait --log "$dir/replica.log" \
        -o "-c listen_addresses=127.0.0.1 -p $replica_port -k $dir" start >/dev/null

    # The schema and the demo content, once, on the primary; then a token.
    parution_command PARUTION_DATABASE_URL="$primary_url" PARUTION_STORAGE_URL="$storage_url"
    "${cmd[@]}" migrate
    "${cmd[@]}" seed-demo
    "${cmd[@]}" token create --name deploy \
        | grep -o 'prt_[A-Za-z0-9_-]*' | head -n 1 >"$dir/token"

    start_parution 1
    start_parution 2
    nginx_config
    nginx_run
    wait_for "http://127.0.0.1:$nginx_port/ready"
    echo "Parution answers on http://127.0.0.1:$nginx_port (servers on ports ${parution_ports[*]}," \
        "metrics on ${metrics_ports[*]}); a token is in $dir/token"
}

# Out of rotation, SIGTERM (requests in flight finish), start, back in.
restart() {
    local server=${1:?usage: deploy/local.sh restart 1|2}
    nginx_config "$server"
    nginx_run -s reload
    # The old nginx workers finish what they had sent to it.
    sleep 1
    stop_parution "$server"
    start_parution "$server"
    nginx_config
    nginx_run -s reload
}

down() {
    [ -d "$dir" ] || return 0
    if [ -f "$dir/nginx/nginx.pid" ]; then nginx_run -s stop 2>/dev/null || true; fi
    stop_parution 1 || true
    stop_parution 2 || true
    for cluster in replica primary; do
        if [ -d "$dir/$cluster" ]; then
            as_user "$pg_bin/pg_ctl" --pgdata "$dir/$cluster" --mode fast stop >/dev/null 2>&1 || true
        fi
    done
    rm -rf "$dir"
}

# The last 40 lines of each server's log and of nginx's errors.
logs() {
    local log
    for log in "$dir"/parution-*.log "$dir/nginx/error.log"; do
        [ -f "$log" ] || continue
        echo "== $log"
        tail -n 40 "$log"
    done
}

case "${1:-}" in
    up) up "${2:-}" "${3:-}" ;;
    restart) restart "${2:-}" ;;
    logs) logs ;;
    down) down ;;
    *)
        echo "usage: deploy/local.sh up BINARY | up --image IMAGE | restart 1|2 | logs | down" >&2
        exit 2
        ;;
esac
