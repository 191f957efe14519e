#!/bin/sh
# CPU cost of a health probe that fails for its whole deadline.
#
# A service that starts but never opens its port (a dependency misconfigured, say): its
# probe fails until the deadline. Prints testbed's user+system CPU time (its reaped children,
# such as command probes, included) and the number of attempts the failure message reports.
#
#   scripts/bench_probe.sh [TESTBED_BINARY] [DEADLINE] [tcp|command]
#   e.g. scripts/bench_probe.sh .build/debug/testbed 60s tcp
set -eu
binary=${1:-.build/debug/testbed}
deadline=${2:-10s}
kind=${3:-tcp}
case $kind in
    tcp) check="tcp: http" ;;
    command) check='command: [/bin/sh, -c, "exit 1"]' ;;
    *) echo "usage: $0 [BINARY] [DEADLINE] [tcp|command]" >&2; exit 2 ;;
esac
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/probe.yml" <<YAML
name: bench-probe
services:
  silent:
    command: [sleep, "600"]
    ports: [http]
    healthcheck:
      $check
      deadline: $deadline
YAML
/usr/bin/time -f '%U %S %e' -o "$dir/time" "$binary" run "$dir/probe.yml" -- true >"$dir/out" 2>&1 || true
read -r user system elapsed <<TIME
$(tail -n 1 "$dir/time")
TIME
attempts=$(grep -o '([0-9]* attempts)' "$dir/out" | head -1 | tr -dc 0-9)
cpu=$(echo "$user + $system" | bc)
echo "binary=$binary probe=$kind deadline=$deadline attempts=${attempts:-?} cpu_seconds=$cpu (user $user, system $system) wall_seconds=$elapsed"
