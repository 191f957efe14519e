#!/usr/bin/env bash
# Shows that the .deb from scripts/package.sh works on a Debian 12 without Swift: installs it
# into a copy of a clean debootstrap root (scripts/debian-root.sh), with python3 and
# postgresql from apt, and runs the README's main job there in a chroot:
#   testbed run environments/app.yml -- python3 environments/app/smoke_test.py
# Usage (as root): scripts/check-deb.sh [dist/testbed_VERSION_ARCH.deb]
# The root is a fresh copy each time (the cached one stays clean); it is deleted at the end,
# and /proc, /dev and /dev/shm are unmounted, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "check-deb.sh: run as root (debootstrap, chroot, mount)" >&2; exit 1; }
deb=${1:-$(ls -t dist/testbed_*.deb 2>/dev/null | head -n 1)}
[ -f "$deb" ] || { echo "check-deb.sh: no .deb: run scripts/package.sh first, or name one" >&2; exit 1; }
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap

step() { printf '\n==> %s\n' "$*"; }

base=$(scripts/debian-root.sh)
work=$(mktemp -d /var/tmp/testbed-check-deb.XXXXXX)
root=$work/root

cleanup() {
    local status=$?
    # Whatever still runs inside the root was started by this script: report it, end it.
    local left=()
    for proc in /proc/[0-9]*; do
        [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ] && left+=("${proc#/proc/}")
    done
    if [ ${#left[@]} -gt 0 ]; then
        echo "check-deb.sh: processes left in the root: ${left[*]}" >&2
        ps -o pid,user,args -p "$(IFS=,; echo "${left[*]}")" >&2 || true
        kill -KILL "${left[@]}" 2>/dev/null || true
        status=1
    fi
    for mount in dev/shm dev proc; do
        mountpoint -q "$root/$mount" && umount -l "$root/$mount"
    done
    rm -rf "$work"
    exit $status
}
trap cleanup EXIT INT TERM

step "a clean Debian 12 root: copy of $base"
cp -a "$base" "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# No daemons started by package scripts inside the chroot; no default cluster (Testbed makes its own).
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
mkdir -p "$root/etc/postgresql-common/createcluster.d"
echo 'create_main_cluster = false' > "$root/etc/postgresql-common/createcluster.d/testbed.conf"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm"

inside() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive /bin/bash -c "$1"; }

step "no Swift in the root"
inside 'command -v swift swiftc || echo "no swift, no swiftc on PATH"; ls -d /usr/lib/swift 2>/dev/null || echo "no /usr/lib/swift"'

step "dpkg -i $(basename "$deb") (its dependencies are not installed yet), then apt-get -f install"
cp "$deb" "$root/tmp/testbed.deb"
inside 'apt-get update -qq'
inside 'dpkg -i /tmp/testbed.deb' || echo "(dpkg -i stopped at the missing dependencies, as expected)"
inside 'apt-get -f install -y -qq -o=Dpkg::Use-Pty=0 >/dev/null && dpkg -s testbed | grep -E "^(Status|Version|Depends|Recommends):"'

step "python3 and postgresql from apt"
inside 'apt-get install -y -qq -o=Dpkg::Use-Pty=0 --no-install-recommends python3 postgresql >/dev/null && dpkg-query -W python3 postgresql libpq5 libsqlite3-0'

step "installed files"
inside 'dpkg -L testbed | grep -E "bin/|completion|_testbed|fish"; testbed --version; ldd /usr/bin/testbed | sed "s/ (0x.*//"'

step "the README's main job, in /work of the root"
mkdir -p "$root/work"
cp -a environments "$root/work/"
inside 'cd /work && export TESTBED_CACHE_DIR=/var/cache/testbed-check && testbed run environments/app.yml -- python3 environments/app/smoke_test.py'

step "again, warm: the cache holds the snapshot that testbed cache key names"
inside 'cd /work && export TESTBED_CACHE_DIR=/var/cache/testbed-check && testbed cache key environments/app.yml \
    && ls "$TESTBED_CACHE_DIR/postgres" | grep pack$ \
    && testbed run -q environments/app.yml -- python3 environments/app/smoke_test.py'

step "after the runs: processes whose root is the chroot"
remaining=0
for proc in /proc/[0-9]*; do
    [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ] && remaining=$((remaining + 1)) && tr '\0' ' ' < "$proc/cmdline" && echo
done
echo "$remaining process(es) left"
[ "$remaining" = 0 ]
echo
echo "check-deb.sh: OK: $(basename "$deb") installed into a clean Debian 12 root without Swift; the main job passed"
