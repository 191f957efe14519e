#!/usr/bin/env bash
# Prints the path of a clean Debian 12 (bookworm) root made by debootstrap, building it
# first when it is missing. Used by check-deb.sh (a chroot) and check-image.sh (the base
# image, `podman import`). Cached outside the repository so that reruns are fast:
#   TESTBED_DEBIAN_ROOT   where the root is kept (default /var/tmp/testbed-bookworm)
#   DEBIAN_MIRROR         the mirror (default: the first Debian mirror in /etc/apt/sources.list*)
# The cached root is never changed by the checks: they work on copies of it.
# Needs root and debootstrap (apt-get install -y debootstrap).
set -euo pipefail
root=${TESTBED_DEBIAN_ROOT:-/var/tmp/testbed-bookworm}
if [ -f "$root/.testbed-complete" ]; then
    echo "$root"
    exit 0
fi
command -v debootstrap >/dev/null || { echo "debian-root.sh: debootstrap is missing: apt-get install -y debootstrap" >&2; exit 1; }
mirror=${DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
    # deb822 files (URIs: ...) and one-line files (deb URI suite ...); skip the security archive.
    mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
        | sed -n -e 's/^URIs:[[:space:]]*//p' -e 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\2/p' \
        | tr ' ' '\n' | grep -v -- '-security' | grep '/debian/\?$' | head -n 1 || true) 
fi
mirror=${mirror:-http://deb.debian.org/debian}
building="$root.building"
rm -rf "$building"
echo "debian-root.sh: debootstrap bookworm from $mirror into $root (once)" >&2
debootstrap --variant=minbase bookworm "$building" "$mirror" >&2
printf '%s\n' "$mirror" > "$building/.testbed-mirror"
touch "$building/.testbed-complete"
rm -rf "$root"
mv "$building" "$root"
echo "$root"
