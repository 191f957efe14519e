#!/usr/bin/env bash
# A seed that grows: 200,000 users and 4,000,000 orders, generated with generate_series
# (no large file in the repository). Prints side by side, from one run:
#   - the limit row: copy the seeded data directory to tmpfs, start postgres, query, stop
#     (as ../shared/bench/limit.py measures it), interleaved with
#   - Testbed warm: `testbed run -q MANIFEST -- psql ... count(*)` with the seed cached;
#   - the run directory's size against the database's size (one run);
#   - 16 runs in parallel: the peak tmpfs use (df of the run root, sampled) against 16 databases.
#
#   scripts/bench_bigseed.sh [RUNS]        # default 7 interleaved runs
#
# Needs a release build (swift build -c release --product testbed; or TESTBED=path), the
# PostgreSQL server (postgresql-15) and ~8 GB free in /dev/shm for the parallel part.
# As root, the limit's postgres runs as the `postgres` user. Takes a few minutes: the seed
# is built twice (once by Testbed for its cache, once for the limit's data directory).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
testbed=${TESTBED:-$root/.build/release/testbed}
runs=${1:-7}
work=${BIGSEED_DIR:-/tmp/testbed-bigseed}
shm=/dev/shm/testbed-bigseed-limit
mkdir -p "$work"
chmod 755 "$work"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

cat > "$work/seed.sql" <<'SQL'
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), amount numeric(10,2) NOT NULL,
                     status text NOT NULL, created_at timestamptz NOT NULL);
INSERT INTO users SELECT g, 'user' || g || '@example.com', 'User ' || g, timestamptz '2024-01-01' + g * interval '1 minute'
  FROM generate_series(1, 200000) g;
INSERT INTO orders SELECT g, 1 + g % 200000, (g % 100000) / 100.0, (ARRAY['new', 'paid', 'shipped', 'returned'])[1 + g % 4],
                          timestamptz '2024-01-01' + g * interval '7 seconds'
  FROM generate_series(1, 4000000) g;
CREATE INDEX orders_user ON orders (user_id);
ANALYZE;
SQL
chmod 644 "$work/seed.sql"
cat > "$work/bigseed.yml" <<YAML
name: bigseed
services:
  db:
    postgres: {database: bench}
    seed:
      - sql: $work/seed.sql
exports:
  DATABASE_URL: \${db.url}
YAML

echo "filling Testbed's cache (cold start: initdb + seed + pack) ..."
"$testbed" run -q "$work/bigseed.yml" -- true

# The limit's seeded data directory, made once, as limit.py does.
if [ ! -f "$shm/seeded/PG_VERSION" ]; then
  echo "building the limit's seeded data directory ..."
  rm -rf "$shm"; mkdir -p "$shm"; chown postgres "$shm" 2>/dev/null || true
  as_pg "$pgbin/initdb" -D "$shm/seeded" -A trust -U postgres --no-sync --wal-segsize=1 >/dev/null
  as_pg "$pgbin/pg_ctl" -D "$shm/seeded" -o "-p 59998 -k $shm -c listen_addresses= -c fsync=off" -w start >/dev/null
  as_pg "$pgbin/psql" -q -h "$shm" -p 59998 -U postgres -c "CREATE DATABASE bench"
  as_pg "$pgbin/psql" -q -h "$shm" -p 59998 -U postgres -d bench -v ON_ERROR_STOP=1 -f "$work/seed.sql" >/dev/null
  as_pg "$pgbin/pg_ctl" -D "$shm/seeded" -m fast stop >/dev/null
fi

export TESTBED PGBIN=$pgbin SHM=$shm MANIFEST=$work/bigseed.yml RUNS=$runs TESTBED_BIN=$testbed
python3 - <<'PY'
import os, subprocess, time, statistics, shutil, threading
pgbin, shm, manifest, runs, testbed = os.environ["PGBIN"], os.environ["SHM"], os.environ["MANIFEST"], int(os.environ["RUNS"]), os.environ["TESTBED_BIN"]
root = os.getuid() == 0
def as_pg(argv): return (["runuser", "-u", "postgres", "--"] + argv) if root else argv

def limit(i):
    t0 = time.perf_counter()
    d = f"{shm}/run{i}"
    subprocess.run(as_pg(["cp", "-a", shm + "/seeded", d]), check=True)
    p = subprocess.Popen(as_pg([pgbin + "/postgres", "-D", d, "-p", str(58100 + i), "-k", d, "-c", "listen_addresses=", "-c", "fsync=off"]),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            lines = open(d + "/postmaster.pid").read().splitlines()
            if len(lines) >= 8 and lines[7].strip() == "ready": break
        except (FileNotFoundError, PermissionError): pass
        time.sleep(0.001)
    out = subprocess.run(as_pg([pgbin + "/psql", "-tA", "-h", d, "-p", str(58100 + i), "-U", "postgres", "-d", "bench", "-c", "select count(*) from orders"]),
                         check=True, capture_output=True, text=True).stdout.strip()
    assert out == "4000000", out
    # SIGQUIT to the server itself: runuser does not pass it on.
    os.kill(int(open(d + "/postmaster.pid").readline()), 3); p.wait(); subprocess.run(as_pg(["rm", "-rf", d]), check=True)
    return 1000 * (time.perf_counter() - t0)

check = 'test "$(psql "$DATABASE_URL" -tAc "SELECT count(*) FROM orders")" = 4000000'
def warm():
    t0 = time.perf_counter()
    subprocess.run([testbed, "run", "-q", manifest, "--", "sh", "-c", check], check=True)
    return 1000 * (time.perf_counter() - t0)

lim, tb = [], []
for i in range(runs):
    lim.append(limit(i)); tb.append(warm())
ml, mt = statistics.median(lim), statistics.median(tb)
print(f"{'':34}{'median':>10}{'min':>10}{'max':>10}")
print(f"{'limit (copy + start + query + stop)':34}{ml:>8.0f}ms{min(lim):>8.0f}ms{max(lim):>8.0f}ms")
print(f"{'testbed warm run':34}{mt:>8.0f}ms{min(tb):>8.0f}ms{max(tb):>8.0f}ms   {mt / ml:.2f}x the limit")

# One run: the run directory against the database.
sizes = subprocess.run([testbed, "run", "-q", manifest, "--", "sh", "-c",
    'du -sb "$TESTBED_RUN_DIR" | cut -f1; psql "$DATABASE_URL" -tAc "SELECT pg_database_size(current_database())"; '
    'psql "$DATABASE_URL" -tAc "SELECT sum(pg_database_size(oid)) FROM pg_database WHERE datname NOT LIKE \'%__testbed_template\'"'],
    check=True, capture_output=True, text=True).stdout.split()
run_dir, db, cluster = (int(x) for x in sizes)
mb = lambda b: b / 1048576
print(f"run directory {mb(run_dir):.0f} MB, database {mb(db):.0f} MB: {run_dir / db:.2f}x "
      f"(all databases of the cluster: {mb(cluster):.0f} MB)")

# 16 runs at once: peak use of the run root's file system.
def used():
    st = os.statvfs("/dev/shm"); return (st.f_blocks - st.f_bfree) * st.f_frsize
base = used(); peak = [base]; stop = threading.Event()
def sample():
    while not stop.is_set(): peak[0] = max(peak[0], used()); time.sleep(0.02)
sampler = threading.Thread(target=sample); sampler.start()
t0 = time.perf_counter()
procs = [subprocess.Popen([testbed, "run", "-q", manifest, "--", "sh", "-c", check + " && sleep 2"]) for _ in range(16)]
codes = [p.wait() for p in procs]
wall = 1000 * (time.perf_counter() - t0)
stop.set(); sampler.join()
assert codes == [0] * 16, codes
print(f"16 parallel runs: peak tmpfs use {mb(peak[0] - base):.0f} MB = {(peak[0] - base) / (16 * db):.2f}x 16 databases "
      f"({mb(16 * db):.0f} MB); all 16 done in {wall:.0f} ms (each sleeps 2 s)")
shutil.rmtree(shm, ignore_errors=True) if os.environ.get("BIGSEED_CLEAN") else None
PY
