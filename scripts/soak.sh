#!/usr/bin/env bash
# Soak: N sequential `up -d` / `down` cycles of a postgres + HTTP stack; prints what was
# left before and after (files under the run root, processes, System V and POSIX shared
# memory) and the median cycle time.   scripts/soak.sh [N] (default 200)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
testbed=${TESTBED:-$root/.build/release/testbed}
cycles=${1:-200}
# A run root of its own, so other runs on the machine do not blur the count.
export TESTBED_RUN_ROOT=${TESTBED_RUN_ROOT:-/dev/shm/testbed-soak-$(id -u)}
run_root=$TESTBED_RUN_ROOT

snapshot() {
    local files procs sysv posix
    files=$(find "$run_root" -mindepth 1 -not -path "$run_root/.names*" -not -path "$run_root/.owners" 2>/dev/null | wc -l)
    procs=$(pgrep -c -f 'postgres -D|http.server --bind' || true)
    sysv=$(($(wc -l < /proc/sysvipc/shm) - 1))
    posix=$(find /dev/shm -maxdepth 1 -name 'PostgreSQL.*' | wc -l)
    echo "files=$files processes=$procs sysv_shm=$sysv posix_shm=$posix"
}

"$testbed" gc >/dev/null
before=$(snapshot)
times=()
for i in $(seq "$cycles"); do
    start=$(date +%s%N)
    "$testbed" up -d -q --name soak "$root/scripts/soak.yml" >/dev/null
    "$testbed" down soak >/dev/null
    times+=($(( ($(date +%s%N) - start) / 1000000 )))
done
after=$(snapshot)
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "cycles:  $cycles"
echo "before:  $before"
echo "after:   $after"
echo "median cycle (up -d + down): ${median} ms"
[ "$before" = "$after" ] && echo "leftovers: none" || { echo "leftovers: DIFFER"; exit 1; }
