#!/usr/bin/env bash
# Seeded clusters by reflink against the copy, side by side, interleaved, with the bare
# copy-and-start limit in the same run (docs/benchmarks.md, "Thin clones").
#
#   scripts/bench_reflink.sh small [RUNS]   # the 50k-order benchmark seed (default 9 rounds)
#   scripts/bench_reflink.sh big [RUNS]     # 12M orders (~1 GB, generated; minutes): also the tmpfs
#                                           # growth of 16 parallel runs (reflink) and 4 (copy)
#   scripts/bench_reflink.sh clones [SECONDS]  # as root, after `small`: fresh seeded clusters per second
#                                           # (reflink clone + postgres + connect + query + stop, 2 at a
#                                           # time), the figure to hold against DatabasePool's CREATE DATABASE
#
# Rows: limit (cp -a of a seeded data directory to tmpfs, postgres, one query, SIGQUIT, rm);
# testbed with TESTBED_STORAGE=copy; testbed with TESTBED_STORAGE=reflink (as root in the
# default run root: the reflink image, whatever the seed's size; the default takes it for
# packs of 64 MB and more). Each row is timed as a whole process, and "first
# query" is the time from the spawn to the moment the command's query returned.
# BASELINE=path adds a row: that build (e.g. an earlier commit's) with its default storage.
# Needs a release build (swift build -c release --static-swift-stdlib --product testbed; or
# TESTBED=path) and postgresql-15. Run as root to get the reflink image.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-small}
runs=${2:-9}
work=${REFLINK_BENCH_DIR:-/tmp/testbed-reflink-bench}
mkdir -p "$work" && chmod 755 "$work"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
if [ "$mode" = clones ]; then
  export PGBIN=$pgbin SECONDS_LIMIT=${2:-20}
  exec python3 "$root/scripts/bench_reflink_clones.py"
fi
if [ "$mode" = small ]; then
  data=${BENCH_DATA:-/tmp/testbed-bench-data}
  [ -f "$data/all.sql" ] || python3 "$root/../shared/bench/gen_seed.py" "$data"
  cp "$data/all.sql" "$work/seed-small.sql"; expected=50000
else
  expected=12000000
  cat > "$work/seed-big.sql" <<'SQL'
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), amount numeric(10,2) NOT NULL,
                     status text NOT NULL, created_at timestamptz NOT NULL);
INSERT INTO users SELECT g, 'user' || g || '@example.com', 'User ' || g, timestamptz '2024-01-01' + g * interval '1 minute'
  FROM generate_series(1, 300000) g;
INSERT INTO orders SELECT g, 1 + g % 300000, (g % 100000) / 100.0, (ARRAY['new', 'paid', 'shipped', 'returned'])[1 + g % 4],
                          timestamptz '2024-01-01' + g * interval '7 seconds'
  FROM generate_series(1, 12000000) g;
ANALYZE;
SQL
fi
chmod 644 "$work"/seed-*.sql
manifest=$work/$mode.yml
cat > "$manifest" <<YAML
name: reflink-$mode
services:
  db:
    postgres: {database: bench}
    seed:
      - sql: $work/seed-$mode.sql
exports:
  DATABASE_URL: \${db.url}
YAML
export MODE=$mode RUNS=$runs PGBIN=$pgbin MANIFEST=$manifest EXPECTED=$expected WORK=$work \
       TESTBED_BIN=${TESTBED:-$root/.build/release/testbed} TESTBED_CACHE_DIR=${TESTBED_CACHE_DIR:-/var/tmp/testbed-reflink-bench-cache}
exec python3 "$root/scripts/bench_reflink.py"
