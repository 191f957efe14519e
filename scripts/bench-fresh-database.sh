#!/bin/sh
# Per-test cost of a fresh PostgreSQL database with tests in parallel (Examples/Inventory,
# FreshDatabaseBenchmark: 8 parallel cases x 10 rounds of checkout, postgres-nio connect,
# one query, drop). Prints the median and 90th percentile of the per-case times and
# the suite's wall time.
#
#     scripts/bench-fresh-database.sh
set -eu
cd "$(dirname "$0")/../Examples/Inventory"
TESTBED_BENCH=1 swift test --filter FreshDatabaseBenchmark 2>&1 | tee /tmp/bench-fresh-database.log | grep -E "Suite FreshDatabaseBenchmark (passed|failed)" || true
python3 - <<'PY'
import re, statistics
times = sorted(float(m) for m in re.findall(r"bench fresh-database worker \d+ round \d+: ([0-9.]+) ms", open("/tmp/bench-fresh-database.log").read()))
if not times: raise SystemExit("no figures: see /tmp/bench-fresh-database.log")
print(f"{len(times)} tests (8 in parallel): median {statistics.median(times):.1f} ms, p90 {times[int(len(times) * 0.9) - 1]:.1f} ms, max {times[-1]:.1f} ms")
PY
