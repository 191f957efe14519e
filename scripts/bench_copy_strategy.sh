#!/usr/bin/env bash
# Times CREATE DATABASE … TEMPLATE bench with FILE_COPY and WAL_LOG, alternating, inside a
# testbed run of MANIFEST (a postgres service `db` with database `bench`; its exports set
# DATABASE_URL). Times include psql's start.
#
#   scripts/bench_copy_strategy.sh /tmp/testbed-bigseed/bigseed.yml 3   # after bench_bigseed.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
testbed=${TESTBED:-$root/.build/release/testbed}
manifest=$1 rounds=${2:-3}
"$testbed" run -q "$manifest" -- sh -c '
for i in $(seq '"$rounds"'); do
  for s in FILE_COPY WAL_LOG; do
    t0=$(date +%s%N); psql "$DATABASE_URL" -qc "CREATE DATABASE c_${s}_$i TEMPLATE bench STRATEGY $s"; t1=$(date +%s%N)
    echo "$s $(( (t1 - t0) / 1000000 ))"
  done
done' | awk '{a[$1] = a[$1] " " $2 " ms"} END {for (k in a) print k ":" a[k]}'
