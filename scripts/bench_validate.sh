#!/usr/bin/env bash
# How long `testbed validate` takes on large manifests (docs/benchmarks.md):
#   - N exports, each referring to a value of one of 10 services (default 100,000);
#   - S process services in a dependency chain, each with a port and an export (default 10,000).
#
#   scripts/bench_validate.sh [EXPORTS] [SERVICES]
#
# Uses TESTBED (default .build/release/testbed, else .build/debug/testbed). Prints the
# wall-clock seconds of each validation.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
testbed=${TESTBED:-$root/.build/release/testbed}
[ -x "$testbed" ] || testbed=$root/.build/debug/testbed
exports=${1:-100000}
services=${2:-10000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

python3 - "$dir" "$exports" "$services" <<'PY'
import sys
d, n, s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(f"{d}/exports.yml", "w") as f:
    f.write("services:\n")
    for i in range(10):
        f.write(f"  s{i}:\n    command: [sleep, '60']\n    ports: [http]\n")
    f.write("exports:\n")
    for i in range(n):
        f.write(f"  E{i}: http://127.0.0.1:${{s{i % 10}.ports.http}}/{i}\n")
with open(f"{d}/services.yml", "w") as f:
    f.write("services:\n")
    for i in range(s):
        f.write(f"  s{i}:\n    command: [sleep, '60']\n    ports: [http]\n")
        if i > 0:
            f.write(f"    depends_on: [s{i - 1}]\n")
        f.write(f"    environment:\n      UP: http://127.0.0.1:${{s{max(i - 1, 0)}.ports.http}}\n")
    f.write("exports:\n")
    for i in range(s):
        f.write(f"  E{i}: ${{s{i}.ports.http}}\n")
PY

for file in exports services; do
    start=$(date +%s.%N)
    "$testbed" validate "$dir/$file.yml" > /dev/null
    end=$(date +%s.%N)
    case $file in
        exports) what="$exports exports" ;;
        services) what="$services services in a dependency chain (+ $services exports)" ;;
    esac
    printf 'validate %s: %.2f s\n' "$what" "$(echo "$end - $start" | bc)"
done
