"""The body of scripts/bench_reset.sh (see there). Reads its settings from the environment."""
import json, os, statistics, subprocess, time

E = os.environ
mode, rounds, manifest, testbed, pause = E["MODE"], int(E["ROUNDS"]), E["MANIFEST"], E["TESTBED_BIN"], float(E["PAUSE"])
root = os.getuid() == 0
rows = ([("re-clone (reflink image)", "reflink", False), ("spare (reflink image + another database)", "reflink", True)]
        if root else []) + [("spare (copy backend)", "copy", False)]

def env_for(storage):
    env = dict(E); env.pop("TESTBED_RUN_ROOT", None)
    env["TESTBED_STORAGE"] = storage
    return env

def used(storage, name, env):
    """What the run holds: in the reflink image, the image's used blocks (shared extents once);
    with the copy, the run directory's allocated bytes."""
    if storage == "reflink":
        st = os.statvfs(E["TESTBED_STORAGE_IMAGE"] + "/mnt"); return (st.f_blocks - st.f_bfree) * st.f_frsize
    status = json.loads(subprocess.run([testbed, "status", name, "--json"], env=env, check=True,
                                       capture_output=True, text=True).stdout)
    out = subprocess.run(["du", "-s", "--block-size=1", status["runDirectory"]], check=True, capture_output=True, text=True).stdout
    return int(out.split()[0])

def psql(exports, database, sql):
    env = dict(os.environ, PGHOST=exports["PGHOST"], PGPORT=exports["PGPORT"], PGUSER=exports["PGUSER"])
    subprocess.run(["psql", "-qtA", "-d", database, "-v", "ON_ERROR_STOP=1", "-c", sql], env=env, check=True,
                   stdout=subprocess.DEVNULL)

def reset(name, env):
    t0 = time.perf_counter_ns()
    out = subprocess.run([testbed, "reset", name, "db"], env=env, check=True, capture_output=True, text=True).stdout
    return (time.perf_counter_ns() - t0) / 1e6, out.strip()

def row(label, storage, other, results):
    env = env_for(storage); name = f"reset-bench-{os.getpid()}"
    subprocess.run([testbed, "up", "-d", "-q", "--name", name, manifest], env=env, check=True, stdout=subprocess.DEVNULL)
    try:
        base = used(storage, name, env)
        exports = json.loads(subprocess.run([testbed, "env", name, "--format", "json"], env=env, check=True,
                                            capture_output=True, text=True).stdout)
        if other: psql(exports, "postgres", "CREATE DATABASE other")
        paused, how = [], ""
        for _ in range(rounds):
            psql(exports, "bench", "DELETE FROM orders WHERE id % 100 = 0")
            time.sleep(pause)
            ms, how = reset(name, env); paused.append(ms)
        back = [reset(name, env)[0] for _ in range(rounds)]
        time.sleep(2)
        grown = used(storage, name, env) - base
    finally:
        subprocess.run([testbed, "down", name], env=env, check=True, stdout=subprocess.DEVNULL)
    results.setdefault(label, []).append((paused, back, grown, how))

def main():
    for storage in {s for _, s, _ in rows}:  # fill the cache (cold runs)
        subprocess.run([testbed, "run", "-q", manifest, "--", "true"], env=env_for(storage), check=True)
    results = {}
    for _ in range(2):  # two passes, rows interleaved
        for label, storage, other in rows: row(label, storage, other, results)
    print(f"\n{mode}: {rounds} resets a row after a write and a {pause:g} s pause, then {rounds} back to back; two passes")
    print("| row | reset after a write, median (min-max) ms | back to back, median ms | run's growth MB | testbed reset says |")
    print("| --- | --- | --- | --- | --- |")
    for label, _, _ in rows:
        paused = [x for r in results[label] for x in r[0]]; back = [x for r in results[label] for x in r[1]]
        grown = max(r[2] for r in results[label]) / 2**20
        print(f"| {label} | {statistics.median(paused):.0f} ({min(paused):.0f}-{max(paused):.0f}) | "
              f"{statistics.median(back):.0f} | {grown:.0f} | {results[label][-1][3]} |")

main()
