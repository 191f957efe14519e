#!/usr/bin/env bash
# Builds the Testbed image with podman from docker/Dockerfile.deb and the .deb of
# scripts/package.sh, on a machine where no registry can be pulled from, and checks it:
#   1. the base image is imported from a debootstrap root (scripts/debian-root.sh);
#   2. the README's main job passes in the image as root and as a non-root user (--user);
#   3. a `podman run --rm` killed mid-run (podman kill -s KILL, and SIGKILL of the
#      container's main process from the host) leaves no process of it behind, a
#      `podman stop` (SIGTERM) tears the stack down cleanly, and a killed `podman run`
#      client leaves the container running until it is stopped (shown, not hidden).
# Usage (as root): scripts/check-image.sh [dist/testbed_VERSION_ARCH.deb]
# podman runs with runc and `default_ulimits = []` (containers.conf in a temporary folder,
# through CONTAINERS_CONF): crun's cgroup handling and the default rlimits are refused on
# some CI machines. Output: see docker/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "check-image.sh: run as root" >&2; exit 1; }
deb=${1:-$(ls -t dist/testbed_*.deb 2>/dev/null | head -n 1)}
[ -f "$deb" ] || { echo "check-image.sh: no .deb: run scripts/package.sh first, or name one" >&2; exit 1; }
if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then apt-get install -y -qq podman runc; fi

work=$(mktemp -d /var/tmp/testbed-check-image.XXXXXX)
containers=()
cleanup() {
    local status=$?
    for name in "${containers[@]}"; do podman rm -f "$name" >/dev/null 2>&1 || true; done
    rm -rf "$work"
    exit $status
}
trap cleanup EXIT INT TERM

cat > "$work/containers.conf" <<'EOF'
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
export CONTAINERS_CONF=$work/containers.conf

step() { printf '\n==> %s\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

version=$(dpkg-deb -f "$deb" Version)
image=localhost/testbed:$version

step "base image from a debootstrap root (no registry)"
if podman image exists localhost/debian:bookworm; then
    echo "localhost/debian:bookworm exists (podman rmi it to import again)"
else
    root=$(scripts/debian-root.sh)
    printf '$ tar -C %s -c . | podman import - debian:bookworm\n' "$root"
    tar -C "$root" --exclude=./.testbed-complete --exclude=./.testbed-mirror -c . | podman import - debian:bookworm
fi

step "build $image from docker/Dockerfile.deb"
mkdir -p "$work/context"
cp "$deb" "$work/context/testbed.deb"
# --network host: apt inside the build reaches the Debian mirror without a bridge.
printf '$ podman build --network host --build-arg BASE=localhost/debian:bookworm --build-arg EXTRA_PACKAGES=python3 -f docker/Dockerfile.deb -t %s CONTEXT\n' "$image"
podman build --network host --build-arg BASE=localhost/debian:bookworm --build-arg EXTRA_PACKAGES=python3 \
    -f docker/Dockerfile.deb -t "$image" "$work/context" > "$work/build.log" 2>&1 \
    || { tail -n 40 "$work/build.log"; exit 1; }
grep -E '^(STEP|COMMIT|Successfully)' "$work/build.log"
podman image exists "$image"
show podman run --rm "$image" --version

# /dev/shm holds the run directories and the clusters: podman's default (64 MB) is too small.
run_args=(--network none --shm-size=512m -v "$PWD/environments:/work/environments:ro" -w /work)
job=(run environments/app.yml -- python3 environments/app/smoke_test.py)

step "the main job as root"
show podman run --rm "${run_args[@]}" "$image" "${job[@]}"

step "the main job as a non-root user (uid 1000)"
show podman run --rm --user 1000:1000 "${run_args[@]}" "$image" "${job[@]}"

# Starts the stack with `sleep 600` as the command, waits until it runs, and prints the
# host pids of every process in the container.
start_long_run() {
    local name=$1
    containers+=("$name")
    podman run --rm -d --name "$name" "${run_args[@]}" "$image" run environments/app.yml -- sleep 600 >/dev/null
    for _ in $(seq 1 600); do
        podman top "$name" comm 2>/dev/null | grep -qx sleep && break
        sleep 0.5
    done
    podman top "$name" comm 2>/dev/null | grep -qx sleep || { echo "the stack in $name did not come up" >&2; podman logs "$name" >&2; return 1; }
}

# The container's processes as host pid + start time (pids can be reused).
snapshot() { podman top "$1" hpid comm | awk 'NR > 1 { print $1, $2 }' | while read -r pid comm; do
    echo "$pid $(cut -d' ' -f22 "/proc/$pid/stat" 2>/dev/null) $comm"; done; }

# Waits until the container is gone, then counts the snapshot's processes still alive.
survivors() {
    local name=$1 list=$2 left=0
    for _ in $(seq 1 120); do podman container exists "$name" || break; sleep 0.5; done
    podman container exists "$name" && echo "container $name still exists" && left=1
    while read -r pid start comm; do
        if [ -e "/proc/$pid" ] && [ "$(cut -d' ' -f22 "/proc/$pid/stat" 2>/dev/null)" = "$start" ]; then
            echo "left behind: pid $pid ($comm)"; left=$((left + 1))
        fi
    done <<<"$list"
    echo "$left process(es) of the container left on the host"
    [ "$left" = 0 ]
}

step "podman kill -s KILL mid-run"
name=tb-kill-$$
start_long_run "$name"
list=$(snapshot "$name")
echo "running in $name (host pid, start time, command):"; echo "$list"
show podman kill -s KILL "$name"
survivors "$name" "$list"

step "SIGKILL of the container's main process (testbed, pid 1 inside) from the host"
name=tb-pid1-$$
start_long_run "$name"
list=$(snapshot "$name")
main=$(podman inspect -f '{{.State.Pid}}' "$name")
echo "main process: host pid $main ($(cat "/proc/$main/comm")); $(wc -l <<<"$list") processes in the container"
show kill -KILL "$main"
survivors "$name" "$list"

step "podman stop (SIGTERM): testbed tears the stack down and exits"
name=tb-stop-$$
containers+=("$name")
podman run -d --name "$name" "${run_args[@]}" "$image" run environments/app.yml -- sleep 600 >/dev/null
for _ in $(seq 1 600); do podman top "$name" comm 2>/dev/null | grep -qx sleep && break; sleep 0.5; done
list=$(snapshot "$name")
show podman stop -t 60 "$name"
echo "exit status: $(podman inspect -f '{{.State.ExitCode}}' "$name")"
podman logs "$name" 2>&1 | tail -n 4
podman rm "$name" >/dev/null
survivors "$name" "$list"

step "SIGKILL of the podman run client (attached, --rm): the container is not its child"
name=tb-client-$$
containers+=("$name")
podman run --rm --name "$name" "${run_args[@]}" "$image" run -q environments/app.yml -- sleep 600 >/dev/null 2>&1 &
client=$!
for _ in $(seq 1 600); do podman top "$name" comm 2>/dev/null | grep -qx sleep && break; sleep 0.5; done
list=$(snapshot "$name")
show kill -KILL "$client"
wait "$client" 2>/dev/null || true
sleep 2
echo "container state after its client died: $(podman inspect -f '{{.State.Status}}' "$name" 2>/dev/null || echo gone)"
echo "(conmon, not the client, is the container's parent: the CI system must stop the container)"
show podman stop -t 60 "$name"
survivors "$name" "$list"

echo
echo "check-image.sh: OK: $image built with podman; the main job passed as root and as uid 1000; no process outlived a killed run"
