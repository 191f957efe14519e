"""The body of scripts/bench_reflink.sh (see there): rows interleaved, then the tmpfs growth
of parallel runs. Reads its settings from the environment the shell script sets."""
import os, subprocess, time, statistics, threading, shutil

E = os.environ
mode, runs, pgbin, manifest = E["MODE"], int(E["RUNS"]), E["PGBIN"], E["MANIFEST"]
expected, work, testbed = E["EXPECTED"], E["WORK"], E["TESTBED_BIN"]
root = os.getuid() == 0
shm = f"/dev/shm/testbed-reflink-limit-{mode}"
query = "SELECT count(*) FROM orders" if mode == "small" else "SELECT max(id) FROM orders"
def as_pg(argv): return (["runuser", "-u", "postgres", "--"] + argv) if root else argv

def ready(d):
    while True:
        try:
            lines = open(d + "/postmaster.pid").read().splitlines()
            if len(lines) >= 8 and lines[7].strip() == "ready": return
        except (FileNotFoundError, PermissionError): pass
        time.sleep(0.001)

def build_limit():
    if os.path.exists(shm + "/seeded/PG_VERSION"): return
    print("building the limit's seeded data directory ...", flush=True)
    shutil.rmtree(shm, ignore_errors=True); os.makedirs(shm)
    if root: shutil.chown(shm, "postgres")
    subprocess.run(as_pg([pgbin + "/initdb", "-D", shm + "/seeded", "-A", "trust", "-U", "postgres", "--no-sync", "--wal-segsize=1"]),
                   check=True, stdout=subprocess.DEVNULL)
    p = subprocess.Popen(as_pg([pgbin + "/postgres", "-D", shm + "/seeded", "-p", "59997", "-k", shm, "-c", "listen_addresses=",
                                "-c", "fsync=off"]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ready(shm + "/seeded")
    psql = as_pg([pgbin + "/psql", "-q", "-h", shm, "-p", "59997", "-U", "postgres", "-v", "ON_ERROR_STOP=1"])
    subprocess.run(psql + ["-c", "CREATE DATABASE bench"], check=True)
    subprocess.run(psql + ["-d", "bench", "-f", f"{work}/seed-{mode}.sql"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(as_pg([pgbin + "/pg_ctl", "-D", shm + "/seeded", "-m", "fast", "stop"]), check=True, stdout=subprocess.DEVNULL)
    p.wait()

def limit(i):
    t0 = time.perf_counter_ns()
    d = f"{shm}/run{i}"
    subprocess.run(as_pg(["cp", "-a", shm + "/seeded", d]), check=True)
    p = subprocess.Popen(as_pg([pgbin + "/postgres", "-D", d, "-p", str(58200 + i % 100), "-k", d, "-c", "listen_addresses=",
                                "-c", "fsync=off"]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ready(d)
    out = subprocess.run(as_pg([pgbin + "/psql", "-tA", "-h", d, "-p", str(58200 + i % 100), "-U", "postgres", "-d", "bench",
                                "-c", query]), check=True, capture_output=True, text=True).stdout.strip()
    first = time.perf_counter_ns()
    assert out == expected, out
    os.kill(int(open(d + "/postmaster.pid").readline()), 3); p.wait()
    subprocess.run(as_pg(["rm", "-rf", d]), check=True)
    return (time.perf_counter_ns() - t0) / 1e6, (first - t0) / 1e6

def env_for(storage):
    env = dict(E); env.pop("TESTBED_RUN_ROOT", None); env.pop("TESTBED_STORAGE", None)
    env["TESTBED_STORAGE"] = storage
    return env

def check(extra=""):
    # The server's own psql, as the limit row runs it: Debian's /usr/bin/psql is a Perl wrapper
    # that costs ~40 ms before the real client starts.
    return f'test "$({pgbin}/psql "$DATABASE_URL" -tAc "{query}")" = {expected} && date +%s%N > "$STAMP"{extra}'

def testbed_row(storage, binary=testbed):
    def run(i):
        env = env_for(storage); env["STAMP"] = f"{work}/stamp"
        if storage == "auto": env.pop("TESTBED_STORAGE")
        t0 = time.time_ns(); p0 = time.perf_counter_ns()
        subprocess.run([binary, "run", "-q", manifest, "--", "sh", "-c", check()], env=env, check=True)
        total = (time.perf_counter_ns() - p0) / 1e6
        return total, (int(open(f"{work}/stamp").read()) - t0) / 1e6
    return run

def used():
    st = os.statvfs("/dev/shm"); return (st.f_blocks - st.f_bfree) * st.f_frsize
def available():
    for line in open("/proc/meminfo"):
        if line.startswith("MemAvailable:"): return int(line.split()[1]) * 1024

def parallel(storage, count):
    base, base_avail = used(), available(); peak = [0, 0]; stop = threading.Event()
    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], used() - base); peak[1] = max(peak[1], base_avail - available()); time.sleep(0.02)
    sampler = threading.Thread(target=sample); sampler.start()
    env = env_for(storage); env["STAMP"] = "/dev/null"
    t0 = time.perf_counter()
    procs = [subprocess.Popen([testbed, "run", "-q", manifest, "--", "sh", "-c", check(" && sleep 3")], env=env) for _ in range(count)]
    codes = [p.wait() for p in procs]
    stop.set(); sampler.join()
    assert codes == [0] * count, codes
    mb = lambda b: b / 1048576
    print(f"{count:>2} parallel runs, {storage:<7}: /dev/shm grew {mb(peak[0]):>7.0f} MB at most, MemAvailable fell {mb(peak[1]):>7.0f} MB "
          f"at most; all done in {1000 * (time.perf_counter() - t0):.0f} ms (each sleeps 3 s)", flush=True)

print(f"filling Testbed's cache ({mode} seed) ...", flush=True)
env = env_for("reflink"); env["STAMP"] = "/dev/null"
t0 = time.perf_counter()
subprocess.run([testbed, "run", "-q", manifest, "--", "sh", "-c", check()], env=env, check=True)
print(f"first (cold or cached) run: {1000 * (time.perf_counter() - t0):.0f} ms", flush=True)
build_limit()
rows = {"limit (cp -a + postgres + query + stop)": limit, "testbed, TESTBED_STORAGE=copy": testbed_row("copy"),
        "testbed, TESTBED_STORAGE=reflink": testbed_row("reflink")}
if E.get("BASELINE"):  # another build (an earlier commit), with its default storage: "no slower than before"
    rows["baseline (BASELINE), its default"] = testbed_row("auto", E["BASELINE"])
for name, row in rows.items(): row(0)  # warm-up: page cache, the image and its tree
samples = {name: [] for name in rows}
for i in range(runs):
    for name, row in rows.items(): samples[name].append(row(i + 1))
lim = statistics.median(t for t, _ in samples[next(iter(rows))])
lim_first = statistics.median(f for _, f in samples[next(iter(rows))])
print(f"\n{'row':<42}{'total median':>13}{'min':>7}{'max':>7}{'÷ limit':>9}{'first query':>13}{'÷ limit':>9}")
for name, values in samples.items():
    totals, firsts = [t for t, _ in values], [f for _, f in values]
    print(f"{name:<42}{statistics.median(totals):>11.0f}ms{min(totals):>7.0f}{max(totals):>7.0f}"
          f"{statistics.median(totals) / lim:>8.2f}x{statistics.median(firsts):>11.0f}ms{statistics.median(firsts) / lim_first:>8.2f}x")
print()
parallel("reflink", 16)
parallel("copy", 16 if mode == "small" else 4)
