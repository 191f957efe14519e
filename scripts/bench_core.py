#!/usr/bin/env python3
"""Core benchmarks for docs/benchmarks.md (figures, not test assertions).

1. Orchestration overhead: `testbed run environments/bench-three-tcp.yml -- true`
   against the time the same three listeners need to start and accept connections when
   spawned by a bare script (spawn all three, poll each port every 0.5 ms, then kill).
2. Memory: testbed's RSS while holding a 5-service stack (`testbed up`).

    swift build -c release --static-swift-stdlib --product testbed   # the distribution build
    scripts/bench_core.py [--runs N] [--testbed PATH]
"""
import argparse, os, signal, socket, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LISTENER = ("import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
            "s.bind(('127.0.0.1', {port})); s.listen(); time.sleep(3600)")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.05).close()
        return True
    except OSError:
        return False


def baseline():
    """Three listeners spawned directly; time until all three accept."""
    ports = [free_port() for _ in range(3)]
    t0 = time.perf_counter()
    procs = [subprocess.Popen(["/usr/bin/python3", "-S", "-c", LISTENER.format(port=p)]) for p in ports]
    pending = set(ports)
    while pending:
        pending = {p for p in pending if not accepts(p)}
        if pending:
            time.sleep(0.0005)
    dt = time.perf_counter() - t0
    for p in procs:
        p.kill()
        p.wait()
    return 1000 * dt


def testbed_run(binary):
    t0 = time.perf_counter()
    r = subprocess.run([binary, "run", "-q", os.path.join(ROOT, "environments/bench-three-tcp.yml"), "--", "true"])
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"testbed run failed with {r.returncode}")
    return 1000 * dt


def rss_of_five(binary):
    manifest = "/tmp/testbed-bench-five.yml"
    services = "\n".join(
        f"  s{i}:\n    command: [/usr/bin/python3, -S, -c, \"{LISTENER.format(port='${s%d.ports.tcp}' % i)}\"]\n"
        f"    ports: [tcp]\n    healthcheck: {{tcp: tcp}}" for i in range(5))
    with open(manifest, "w") as f:
        f.write("name: bench-five\nservices:\n" + services + "\n")
    p = subprocess.Popen([binary, "up", "-q", manifest], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    p.stdout.readline()  # the first export line: the stack is ready
    time.sleep(0.5)
    rss = next(int(line.split()[1]) for line in open(f"/proc/{p.pid}/status") if line.startswith("VmRSS"))
    p.send_signal(signal.SIGINT)
    p.wait()
    return rss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--testbed", default=os.path.join(ROOT, ".build/release/testbed"))
    a = ap.parse_args()
    baseline(); testbed_run(a.testbed)  # warm-up
    base, run = [], []
    for _ in range(a.runs):  # interleaved so drift hits both alike
        base.append(baseline())
        run.append(testbed_run(a.testbed))
    b, r = statistics.median(base), statistics.median(run)
    print(f"three listeners, bare script   median {b:6.1f} ms  (min {min(base):.1f})")
    print(f"testbed run ... -- true        median {r:6.1f} ms  (min {min(run):.1f})")
    print(f"orchestration overhead         median {r - b:6.1f} ms  (target: at most 50 ms)")
    print(f"testbed RSS holding 5 services {rss_of_five(a.testbed):6.1f} MB  (target: under 30 MB)")


if __name__ == "__main__":
    main()
