#!/usr/bin/env bash
# The seeded-PostgreSQL benchmark of ../shared/bench/compare.py, with testbed as the
# candidate: schema + 10,000 users + 50,000 orders, then SELECT count(*) FROM orders.
#
#   scripts/bench_postgres.sh warm   # the seeded cluster is cached (the usual case)
#   scripts/bench_postgres.sh cold   # an empty cache on every run (initdb + seed)
#   scripts/bench_postgres.sh check  # one run of the candidate, printing what it does
#
# Needs a release build (swift build -c release --static-swift-stdlib --product testbed) and compare.py at
# ../shared/bench (or BENCH_DIR). Extra arguments go to compare.py (e.g. --runs 9).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH_DIR:-$root/../shared/bench}
export BENCH_DATA=${BENCH_DATA:-/tmp/testbed-bench-data}
testbed=${TESTBED:-$root/.build/release/testbed}
mode=${1:-warm}; shift || true

[ -f "$BENCH_DATA/all.sql" ] || python3 "$bench/gen_seed.py" "$BENCH_DATA"
manifest=/tmp/testbed-bench-seeded.yml
cat > "$manifest" <<YAML
name: bench-seeded
services:
  db:
    postgres: {database: bench}
    seed:
      - sql: $BENCH_DATA/all.sql
exports:
  DATABASE_URL: \${db.url}
YAML
check='[ "$(psql "$DATABASE_URL" -tAc "SELECT count(*) FROM orders")" = 50000 ]'
case "$mode" in
  warm)  exec python3 "$bench/compare.py" "$@" -- "$testbed" run -q "$manifest" -- sh -c "$check" ;;
  cold)  exec python3 "$bench/compare.py" "$@" -- sh -c \
           "d=\$(mktemp -d) && TESTBED_CACHE_DIR=\$d '$testbed' run -q '$manifest' -- sh -c '$check'; s=\$?; rm -rf \"\$d\"; exit \$s" ;;
  check) exec "$testbed" run "$manifest" -- sh -c "$check && echo 'orders: 50000'" ;;
  *) echo "usage: $0 warm|cold|check [compare.py options]" >&2; exit 2 ;;
esac
