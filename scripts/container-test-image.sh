#!/bin/sh
# Builds localhost/tb-busybox:1, the small image the container tests, environments/mixed.yml
# and scripts/bench-container.sh use: Debian's busybox-static (sh, httpd with CGI, nc, wget,
# sleep, ...) imported into the calling account's own podman storage, no registry needed.
# Does nothing when the image exists already. Usage: sh scripts/container-test-image.sh [ENGINE]
set -eu
engine=${1:-${TESTBED_CONTAINER_ENGINE:-podman}}
image=localhost/tb-busybox:1
"$engine" image exists "$image" 2>/dev/null && exit 0
busybox=$(command -v busybox) || { echo "busybox is not installed (apt-get install busybox-static)" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp" "$root/www"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"; done
chmod 1777 "$root/tmp"
out=$(tar -C "$root" -c . | "$engine" import - "$image" 2>&1) || { echo "$out" >&2; exit 1; }
