"""scripts/bench_reflink.sh clones: fresh seeded clusters per second from a reflink clone, as
root, in the reflink image that `bench_reflink.sh small` left (its tree of the 50k-order seed).
Two workers loop: clone the cluster (cp --reflink=always, as postgres), start postgres, wait
for ready, connect and count users, SIGQUIT, delete. Prints the rate and the CPU per cluster."""
import glob, os, resource, shutil, subprocess, threading, time

pgbin, limit = os.environ["PGBIN"], float(os.environ["SECONDS_LIMIT"])
trees = [t for t in glob.glob("/dev/shm/testbed-0/.reflink/mnt/trees/postgres/seeded-*") if os.path.isdir(t)]
assert os.getuid() == 0 and trees, "run as root after scripts/bench_reflink.sh small (no tree in the reflink image)"
# The smallest tree: the 50k-order seed's, beside the big seed's when that ran too.
source = min(trees, key=lambda t: int(subprocess.run(["du", "-s", t], capture_output=True, text=True).stdout.split()[0]))
bench = "/dev/shm/testbed-0/.reflink/mnt/bench-clones"
shutil.rmtree(bench, ignore_errors=True)
os.makedirs(bench)
subprocess.run(["cp", "-a", "--reflink=always", source, bench + "/seeded"], check=True)
subprocess.run(["chown", "-R", "postgres", bench], check=True)
# postgres passes through root's folders for the length of the benchmark (search only), then the modes come back.
passed = ["/dev/shm/testbed-0", "/dev/shm/testbed-0/.reflink", "/dev/shm/testbed-0/.reflink/mnt"]
modes = {path: os.stat(path).st_mode & 0o7777 for path in passed}
for path in passed: os.chmod(path, modes[path] | 0o001)
def pg(argv): return ["runuser", "-u", "postgres", "--"] + argv
def ready(d):
    while True:
        try:
            lines = open(d + "/postmaster.pid").read().splitlines()
            if len(lines) >= 8 and lines[7].strip() == "ready": return
        except (FileNotFoundError, PermissionError): pass
        time.sleep(0.001)
done, stop = [0], time.monotonic() + limit
def worker(n):
    i = 0
    while time.monotonic() < stop:
        d, port = f"{bench}/w{n}-{i}", 57000 + n * 500 + i % 500
        subprocess.run(pg(["cp", "-a", "--reflink=always", bench + "/seeded", d]), check=True)
        p = subprocess.Popen(pg([pgbin + "/postgres", "-D", d, "-p", str(port), "-k", d, "-c", "listen_addresses=", "-c", "fsync=off"]),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ready(d)
        out = subprocess.run(pg([pgbin + "/psql", "-tA", "-h", d, "-p", str(port), "-U", "postgres", "-d", "bench", "-c",
                                 "SELECT count(*) FROM users"]), check=True, capture_output=True, text=True).stdout.strip()
        assert out.isdigit(), out
        os.kill(int(open(d + "/postmaster.pid").readline()), 3); p.wait()
        subprocess.run(["rm", "-rf", d], check=True)
        done[0] += 1; i += 1
began = time.monotonic()
threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
try:
    for t in threads: t.start()
    for t in threads: t.join()
finally:
    for path, mode in modes.items(): os.chmod(path, mode)
elapsed = time.monotonic() - began
cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{done[0]} clusters in {elapsed:.1f} s: {done[0] / elapsed:.1f} per second; "
      f"CPU per cluster {1000 * (cpu.ru_utime + cpu.ru_stime) / done[0]:.0f} ms (postgres, cp, psql, runuser)")
shutil.rmtree(bench, ignore_errors=True)
