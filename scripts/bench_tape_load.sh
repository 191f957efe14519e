#!/usr/bin/env bash
# How long a tape of 10,000 exchanges takes to be ready to serve (Tape.load and the replay
# index, as an HTTP link does it; issue 11: under 200 ms), side by side
# with Python's json.loads (C) on the same file as a yardstick for the machine.
#
#   scripts/bench_tape_load.sh
#   scripts/bench_tape_load.sh --callgrind   # instructions of one load + index (needs valgrind)
#
# Compiles the tape sources (Sources/TestbedTapes and Sources/TestbedModel/JSON, the JSON model)
# with the harness in scripts/tape-load-bench/ using `swiftc -O -wmo`, the optimisation of a
# release build, into a private temporary folder, and runs it there. The package's own
# release test build is not used: swift 6.3.1 crashes compiling an unrelated test file with
# -O. The VCR.py cassette reader (Yams) is left out; the harness loads Testbed tapes only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
chmod 700 "$work"
trap 'rm -rf "$work"' EXIT
# One module of the tapes engine, the JSON model and the few lower files they use, without
# their `import Testbed…` lines (the targets of the package are one module here).
mkdir "$work/src"
sources=()
for file in "$root"/Sources/TestbedTapes/*.swift "$root"/Sources/TestbedModel/JSON/*.swift \
        "$root/Sources/TestbedModel/Tapes/TapeHeader.swift" "$root/Sources/TestbedModel/Links/TapeMode.swift" \
        "$root/Sources/TestbedSystem/Processes/ErrnoText.swift" "$root/Sources/TestbedSystem/Processes/TestbedError.swift"; do
    [ "$(basename "$file")" = VCRCassetteReader.swift ] && continue
    grep -v '^import Testbed' "$file" > "$work/src/$(basename "$file")"
    sources+=("$work/src/$(basename "$file")")
done
swiftc -O -wmo -parse-as-library -module-name TapeBench -o "$work/tape-bench" \
    "$root/scripts/tape-load-bench/main.swift" "${sources[@]}"
if [ "${1:-}" = --callgrind ]; then
    # A count of instructions, the same on a busy machine as on a quiet one.
    valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" --collect-atstart=no \
        --toggle-collect='*readyToServe*' "$work/tape-bench" "$work/tape.json" --once 2>&1 | grep 'Collected'
    exit 0
fi
uptime; "$work/tape-bench" "$work/tape.json" >/dev/null  # warm-up: page cache, allocator
"$work/tape-bench" "$work/tape.json"
python3 - "$work/tape.json" <<'PY'
import json, sys, time
data = open(sys.argv[1], "rb").read()
walls, cpus = [], []
for _ in range(5):
    wall, cpu = time.perf_counter(), time.process_time()
    json.loads(data)
    cpus.append((time.process_time() - cpu) * 1000)
    walls.append((time.perf_counter() - wall) * 1000)
walls.sort(); cpus.sort()
print("python3 json.loads of the same file: median %.1f ms wall, %.1f ms CPU" % (walls[2], cpus[2]))
PY
