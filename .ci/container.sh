#!/usr/bin/env bash
# The container image as operators build it: the committed Dockerfile,
# built by buildah (no daemon) from the two base images it names, made here
# from Debian's packages because no container registry can be reached, then
# run by podman and checked. Prints the image's size, the build time, the
# start-up time and the idle RSS.
#
#   bash .ci/container.sh PORT [POSTGRESQL_URL]      (as root)
#
# Then the documented deployment (PostgreSQL primary and replica, two
# servers, nginx) is started from the image by deploy/local.sh and checked
# by deploy/check.py, as .ci/run does with the binary.
#
# The base images trust the same certificate authorities as this machine
# (those under /usr/local/share/ca-certificates), or the build stage could
# not reach the crate registry; the Rust one carries this machine's own
# toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
port=$1
postgres_url=${2:-}
image=localhost/parution:ci
work=$(mktemp -d /tmp/parution-container.XXXXXX)
export CONTAINERS_CONF="$work/containers.conf"
# What these machines need: runc with cgroupfs, and no default ulimits.
cat >"$CONTAINERS_CONF" <<'EOF'
[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
EOF
deploy=$(mktemp -u -d /tmp/parution-deploy-image.XXXXXX)
cleanup() {
    PARUTION_DEPLOY_DIR=$deploy bash deploy/local.sh down >/dev/null 2>&1 || true
    podman rm -f -t 0 parution-ci parution-ci-pg >/dev/null 2>&1 || true
    podman volume rm -f parution-ci-data >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAILED: $*"; podman logs parution-ci 2>&1 | tail -n 30 || true; exit 1; }

if ! git diff --quiet HEAD -- Dockerfile .dockerignore; then
    fail "Dockerfile or .dockerignore differs from the committed one: the image is built from what is committed"
fi

started=$SECONDS
sysroot=$(rustc --print sysroot)
trust='cp /usr/local/share/ca-certificates/*.crt "$1/usr/local/share/ca-certificates/" 2>/dev/null || true'
slim=(--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*'
    --dpkgopt='path-exclude=/usr/share/locale/*')
mmdebstrap --quiet --variant=minbase --include=ca-certificates "${slim[@]}" \
    --customize-hook="$trust" --customize-hook='chroot "$1" update-ca-certificates >/dev/null 2>&1' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
    bookworm "$work/debian.tar" http://deb.debian.org/debian
podman import --quiet --change 'CMD ["bash"]' "$work/debian.tar" docker.io/library/debian:bookworm-slim >/dev/null
mmdebstrap --quiet --variant=minbase --include=ca-certificates,gcc,libc6-dev,make,perl,pkg-config "${slim[@]}" \
    --customize-hook="$trust" --customize-hook='chroot "$1" update-ca-certificates >/dev/null 2>&1' \
    --customize-hook="mkdir -p \"\$1/usr/local/rustup/toolchains/host\" \"\$1/usr/local/cargo/bin\" \
        && cp -a $sysroot/bin $sysroot/lib $sysroot/libexec \"\$1/usr/local/rustup/toolchains/host/\" \
        && for tool in cargo rustc rustdoc; do ln -s ../../rustup/toolchains/host/bin/\$tool \"\$1/usr/local/cargo/bin/\$tool\"; done" \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
    bookworm "$work/rust.tar" http://deb.debian.org/debian
podman import --quiet --change 'ENV RUSTUP_HOME=/usr/local/rustup' --change 'ENV CARGO_HOME=/usr/local/cargo' \
    --change 'ENV PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' "$work/rust.tar" docker.io/library/rust:1-bookworm >/dev/null
rm -f "$work"/*.tar
echo "base images debian:bookworm-slim and rust:1-bookworm made in $((SECONDS - started)) s"

started=$SECONDS
# The docker format keeps HEALTHCHECK (the OCI format has no such field).
buildah bud --quiet --isolation chroot --network host --pull=never --no-cache --format docker \
    -t "$image" -f Dockerfile . >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log"; fail "the image did not build"; }
build_seconds=$((SECONDS - started))
size=$(podman image inspect --format '{{.Size}}' "$image")
echo "built $image from a cold cache in ${build_seconds} s; $((size / 1024 / 1024)) MiB"
podman image inspect --format '{{json .Config.Healthcheck}} user={{.Config.User}} labels={{json .Labels}}' "$image"

ready() {
    for _ in $(seq 300); do
        if curl -fs -o /dev/null "http://127.0.0.1:$1/ready"; then return 0; fi
        sleep 0.1
    done
    return 1
}
run() {
    podman run -d --name parution-ci --network host -e PARUTION_BIND="0.0.0.0:$port" \
        -e PARUTION_SHUTDOWN_TIMEOUT=20 -v parution-ci-data:/data "$image" >/dev/null
}

launched=$(date +%s%N)
run
ready "$port" || fail "/ready never answered 200"
startup_ms=$((($(date +%s%N) - launched) / 1000000))
echo "ready ${startup_ms} ms after podman run (a new database: migrations and the demo content)"
seed=$(curl -fs -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/v1/publications/concertation-fournisseurs-ia-ayants-droit")
[ "$seed" = 200 ] || fail "the seed page's publication answered $seed"
echo "the seed page's publication: 200"

pid=$(podman inspect --format '{{.State.Pid}}' parution-ci)
uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
[ "$uid" = 10001 ] || fail "the server runs as uid $uid, not 10001"
echo "the server runs as uid $uid"
sleep 2
echo "RSS idle: $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status") KiB"

podman healthcheck run parution-ci || fail "the image's health check failed while the server runs"
echo "the health check passes while the server runs"

token=$(podman exec parution-ci parution token create --name ci | grep -o 'prt_[A-Za-z0-9_-]*' | head -n 1)
created=$(curl -fs -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/api/v1/categories" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"name": "Écrite avant le redémarrage"}')
[ "$created" = 201 ] || fail "a write answered $created"

stop_started=$(date +%s%N)
podman stop -t 30 parution-ci >/dev/null
stop_ms=$((($(date +%s%N) - stop_started) / 1000000))
code=$(podman inspect --format '{{.State.ExitCode}}' parution-ci)
[ "$code" = 0 ] || fail "SIGTERM: exit code $code"
echo "SIGTERM: exited 0 in ${stop_ms} ms (shutdown timeout 20 s)"
if podman run --rm --network host -e PARUTION_BIND="0.0.0.0:$port" "$image" health >/dev/null 2>&1; then
    fail "the health check passed with the server stopped"
fi
echo "the health check fails once the server is stopped"

podman rm parution-ci >/dev/null
run
ready "$port" || fail "/ready never answered 200 after the restart"
kept=$(curl -fs "http://127.0.0.1:$port/api/v1/categories/ecrite-avant-le-redemarrage" | grep -c 'avant le red' || true)
[ "$kept" -ge 1 ] || fail "the write did not survive the restart"
echo "a write survives a new container on the same volume"
podman rm -f -t 10 parution-ci >/dev/null

if [ -n "$postgres_url" ]; then
    podman run -d --name parution-ci-pg --network host -e PARUTION_BIND="127.0.0.1:$port" \
        -e PARUTION_DATABASE_URL="$postgres_url" "$image" >/dev/null
    ready "$port" || { podman logs parution-ci-pg | tail -n 20; fail "no /ready on PostgreSQL"; }
    listed=$(curl -fs -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/v1/publications")
    [ "$listed" = 200 ] || fail "a list on PostgreSQL answered $listed"
    echo "on PostgreSQL (PARUTION_DATABASE_URL): ready, lists answer 200"
fi
podman rm -f -t 10 parution-ci-pg >/dev/null 2>&1 || true

started=$SECONDS
export PARUTION_DEPLOY_DIR=$deploy
PARUTION_CACHE_MAX_AGE=10 bash deploy/local.sh up --image "$image"
python3 deploy/check.py || { bash deploy/local.sh logs; fail "the deployment from the image failed its checks"; }
bash deploy/local.sh down
echo "the documented deployment from the image (primary, replica, two servers, nginx): checked in $((SECONDS - started)) s"
