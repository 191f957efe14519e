#!/usr/bin/env bash
# `testbed reset` of a detached environment: the re-clone (reflink image) against the spare
# path (the reflink image with a database of the test's own, so the re-clone does not apply;
# and the copy backend), rows interleaved (docs/benchmarks.md, "Reset by re-clone").
#
#   scripts/bench_reset.sh small [ROUNDS]   # the 50k-order benchmark seed (default 7 resets a row)
#   scripts/bench_reset.sh mid [ROUNDS]     # 2M orders (~200 MB database, generated: ~20 s once)
#   scripts/bench_reset.sh big [ROUNDS]     # 12M orders (~1 GB, generated: ~2 minutes of both cores)
#
# Each reset follows a write (DELETE of 1% of the orders) and a pause (PAUSE seconds, default 1:
# the spare path's background copy gets its time); "back to back" resets follow each other at
# once (the spare path then waits for the copy). Figures: the `testbed reset` process, wall
# clock; "run's growth" is what the run holds after its resets more than after its start (in
# the reflink image: the image's used blocks; with the copy: the run directory, `du`).
# Needs a release build (swift build -c release --disable-default-traits --product testbed;
# or TESTBED=path) and postgresql-15; as root for the reflink image rows.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-small}
rounds=${2:-7}
work=${RESET_BENCH_DIR:-/tmp/testbed-reset-bench}
mkdir -p "$work" && chmod 755 "$work"
if [ "$mode" = small ]; then
  data=${BENCH_DATA:-/tmp/testbed-bench-data}
  [ -f "$data/all.sql" ] || python3 "$root/../shared/bench/gen_seed.py" "$data"
  cp "$data/all.sql" "$work/seed-small.sql"
else
  if [ "$mode" = big ]; then users=300000 orders=12000000; else users=100000 orders=2000000; fi
  cat > "$work/seed-$mode.sql" <<SQL
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), amount numeric(10,2) NOT NULL,
                     status text NOT NULL, created_at timestamptz NOT NULL);
INSERT INTO users SELECT g, 'user' || g || '@example.com', 'User ' || g, timestamptz '2024-01-01' + g * interval '1 minute'
  FROM generate_series(1, $users) g;
INSERT INTO orders SELECT g, 1 + g % $users, (g % 100000) / 100.0, (ARRAY['new', 'paid', 'shipped', 'returned'])[1 + g % 4],
                          timestamptz '2024-01-01' + g * interval '7 seconds'
  FROM generate_series(1, $orders) g;
ANALYZE;
SQL
fi
chmod 644 "$work"/seed-*.sql
manifest=$work/$mode.yml
cat > "$manifest" <<YAML
name: reset-$mode
services:
  db:
    postgres: {database: bench}
    seed:
      - sql: $work/seed-$mode.sql
exports:
  DATABASE_URL: \${db.url}
  PGHOST: \${db.socket}
  PGPORT: \${db.port}
  PGUSER: \${db.user}
YAML
# As root, a reflink image of the bench's own (not the default one other runs share), removed at the end.
image=/dev/shm/testbed-reset-bench/.reflink
if [ "$(id -u)" = 0 ]; then
  mkdir -p -m 700 /dev/shm/testbed-reset-bench
  trap 'umount "$image/mnt" 2>/dev/null; rm -rf --one-file-system /dev/shm/testbed-reset-bench' EXIT
fi
export MODE=$mode ROUNDS=$rounds MANIFEST=$manifest WORK=$work PAUSE=${PAUSE:-1} TESTBED_STORAGE_IMAGE=$image \
       TESTBED_BIN=${TESTBED:-$root/.build/release/testbed} TESTBED_CACHE_DIR=${TESTBED_CACHE_DIR:-/var/tmp/testbed-reset-bench-cache}
python3 "$root/scripts/bench_reset.py"
