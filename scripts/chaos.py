#!/usr/bin/env python3
"""Chaos: SIGKILL `testbed run` at random points, and count what it leaves behind.

    scripts/chaos.py [KILLS] (default 50)    TESTBED=path/to/testbed (default: .build/release, else debug)
    CHAOS_MANIFEST=scripts/chaos-container.yml scripts/chaos.py    # the same stack with a container (podman)

Each round starts `testbed run scripts/chaos.yml -- COMMAND` (PostgreSQL, an HTTP server
and a service that forks, then a command that forks too), and SIGKILLs testbed after a
random delay. Two kinds of kill: spread over the whole run (start, seeding, the command),
and aimed at the spawn of the command: the moment its process first shows in /proc (the
n-th child of testbed, n found in calibration rounds) — while testbed is still inside
posix_spawn or has just returned from it, before or while it registers the command with
its watchdog — half of them 0-1 ms later. After each kill:

- survivors: processes of the round still alive (not zombies) 2 s after the kill, found
  in /proc by a mark in their environment or the round's run root in their command line
  (the watchdog, still finishing its cleanup, is counted apart);
- containers: with podman installed, containers of the round's run root (label
  `testbed.dir`) still there 2 s after the kill, counted with the survivors;
- leftovers: after the next start (`testbed run` of a one-service manifest on the same run
  root), anything left under the run root but the live name/owner folders themselves.

Prints one line per round and the totals; exits 1 if anything survived or was left.
"""
import os, random, signal, subprocess, sys, time, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTBED = os.environ.get("TESTBED") or next(
    (p for p in (f"{ROOT}/.build/release/testbed", f"{ROOT}/.build/debug/testbed") if os.access(p, os.X_OK)), None)
RUN_ROOT = os.environ.get("CHAOS_RUN_ROOT", f"/dev/shm/testbed-chaos-{os.getuid()}")
MANIFEST = os.environ.get("CHAOS_MANIFEST") or f"{ROOT}/scripts/chaos.yml"
SCRATCH = f"/tmp/testbed-chaos-{os.getpid()}"
# The command: notes that it ran, leaves a background child, and keeps going.
COMMAND = ["sh", "-c", f'echo $$ > "$CHAOS_STARTED"; sleep 600 & sleep 600']


def live(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2:][:1] != b"Z"


def processes_of(mark):
    """Live processes carrying `mark` in their environment or the run root in their arguments."""
    found = []
    needle, root = mark.encode() + b"\0", RUN_ROOT.encode()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                environ = f.read()
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if (needle in environ or root in cmdline) and live(name):
            found.append((int(name), cmdline.replace(b"\0", b" ").decode(errors="replace")[:80]))
    return found


def containers():
    """Names of this account's containers whose run directory is under the run root."""
    try:
        listed = subprocess.run(["podman", "ps", "--all", "--filter", f"label=testbed.owner={os.getuid()}", "--format",
                                 '{{.Names}} {{index .Labels "testbed.dir"}}'], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.split()[0] for line in listed.stdout.splitlines()
            if len(line.split()) == 2 and line.split()[1].startswith(RUN_ROOT + "/")]


def leftovers():
    """Everything under the run root except the (possibly empty) .names and .owners folders."""
    left = []
    for dirpath, dirnames, filenames in os.walk(RUN_ROOT):
        rel = os.path.relpath(dirpath, RUN_ROOT)
        for d in dirnames:
            if rel == "." and d in (".names", ".owners"):
                continue
            left.append(os.path.join(rel, d))
        left += [os.path.join(rel, f) for f in filenames]
    # Only top-level entries matter for the count (a run directory counts once).
    return sorted({p.split(os.sep)[0] if not p.startswith(".") else p for p in left})


PORT_LOCKS = os.environ.get("CHAOS_PORT_LOCKS", "/tmp/testbed-ports")


def stale_port_locks():
    """Port lock files nobody holds (what a killed run can leave in the shared lock folder)."""
    import fcntl
    stale = 0
    for name in os.listdir(PORT_LOCKS) if os.path.isdir(PORT_LOCKS) else []:
        try:
            fd = os.open(os.path.join(PORT_LOCKS, name), os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            stale += 1
            fcntl.flock(fd, fcntl.LOCK_UN)
        except OSError:
            pass
        finally:
            os.close(fd)
    return stale


def start(mark, started):
    env = dict(os.environ, TESTBED_RUN_ROOT=RUN_ROOT, CHAOS_MARK=mark, CHAOS_STARTED=started, NO_COLOR="1")
    return subprocess.Popen([TESTBED, "run", "-q", MANIFEST, "--"] + COMMAND, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def calibrate():
    """Seconds from launch to the command's first instruction, and which child of testbed
    (1st, 2nd, ...) the command is: the spawns before it (watchdog, services) are the same
    in every round once the seeded cluster is cached. Medians of 3 rounds."""
    times, positions = [], []
    for _ in range(3):
        mark, started = f"calibrate-{uuid.uuid4()}", f"{SCRATCH}/calibrate"
        began = time.monotonic()
        run = start(mark, started)
        children = children_in_order(run.pid, lambda _: os.path.exists(started))
        times.append(time.monotonic() - began)
        command = int(open(started).read().strip()) if os.path.exists(started) else None
        positions.append(children.index(command) + 1 if command in children else 0)
        run.send_signal(signal.SIGTERM)
        run.wait()
        os.unlink(started)
    return sorted(times)[1], sorted(positions)[1]


def parent_of(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        return int(stat[stat.rindex(b")") + 2:].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def children_in_order(testbed_pid, until, limit=60):
    """Polls /proc for new children of testbed, in the order they appear, until `until(children)`."""
    seen = {int(n) for n in os.listdir("/proc") if n.isdigit() and int(n) != testbed_pid}
    children = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) in seen:
                continue
            parent = parent_of(name)
            if parent is None:
                continue
            seen.add(int(name))
            if parent == testbed_pid:
                children.append(int(name))
        if until(children):
            return children
    return children


def next_start():
    env = dict(os.environ, TESTBED_RUN_ROOT=RUN_ROOT)
    subprocess.run([TESTBED, "run", "-q", f"{ROOT}/scripts/chaos-next.yml", "--", "true"], env=env,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def main():
    kills = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    if not TESTBED:
        sys.exit("build testbed first (swift build), or set TESTBED")
    os.makedirs(SCRATCH, exist_ok=True)
    random.seed(int(os.environ.get("CHAOS_SEED", "15")))
    subprocess.run([TESTBED, "gc"], env=dict(os.environ, TESTBED_RUN_ROOT=RUN_ROOT), capture_output=True)
    spawn_at, command_child = calibrate()
    if not command_child:
        sys.exit("calibration: the command was never seen as a child of testbed")
    locks_before = stale_port_locks()
    print(f"testbed: {TESTBED}\nrun root: {RUN_ROOT}\n"
          f"the command starts {spawn_at * 1000:.0f} ms after launch, as child #{command_child} of testbed")
    total_survivors = total_leftovers = total_cleaning = ran = 0
    aimed = kills * 3 // 5
    for i in range(kills):
        mark, started = f"chaos-{uuid.uuid4()}", f"{SCRATCH}/started-{i}"
        if i < aimed:
            kind, delay = "spawn", 0.0
        else:
            kind, delay = "any", random.uniform(0, spawn_at + 0.3)
        launched = time.monotonic()
        run = start(mark, started)
        if kind == "spawn":
            # Kill the moment the command's process first shows (still testbed's image
            # while posix_spawn runs, or just exec'd), half of the time 0-1 ms later.
            children_in_order(run.pid, lambda children: len(children) >= command_child)
            if i % 2:
                time.sleep(random.uniform(0, 0.001))
        else:
            time.sleep(delay)
        run.send_signal(signal.SIGKILL)
        delay = time.monotonic() - launched
        run.wait()
        killed_at = time.monotonic()
        time.sleep(max(0.0, killed_at + 2.0 - time.monotonic()))
        found = processes_of(mark)
        # The watchdog is the cleanup itself, not a leftover of the run; it exits once done.
        cleaning = [p for p in found if "testbed-watchdog" in p[1]]
        survivors = [p for p in found if p not in cleaning] + [(0, "container " + name) for name in containers()]
        command_ran = os.path.exists(started)
        ran += command_ran
        total_cleaning += len(cleaning)
        for pid, what in survivors:  # clean up so the next round starts clean
            if what.startswith("container "):
                subprocess.run(["podman", "rm", "--force", "--time", "0", what.split()[1]], capture_output=True)
                continue
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        next_start()
        # The next start's own watchdog removes its (empty) list just after it exits.
        settle = time.monotonic() + 2
        while (left := leftovers()) and time.monotonic() < settle:
            time.sleep(0.05)
        total_survivors += len(survivors)
        total_leftovers += len(left)
        print(f"{i + 1:3} kill at {delay * 1000:6.1f} ms ({kind:5}) command ran: {'yes' if command_ran else 'no ':3} "
              f"survivors after 2 s: {len(survivors)}{'+watchdog' if cleaning else ''} leftovers after the next start: {len(left)}"
              + (f"  {survivors} {left}" if survivors or left else ""))
    print(f"\nkills: {kills} ({aimed} aimed at the command's spawn, {kills - aimed} anywhere); "
          f"the command had started in {ran}")
    print(f"survivors after 2 s: {total_survivors}")
    print(f"watchdogs still finishing their cleanup at 2 s (not counted above): {total_cleaning}")
    print(f"leftovers after the next start: {total_leftovers}")
    print(f"unheld port lock files in {PORT_LOCKS}: {locks_before} before, {stale_port_locks()} after "
          "(shared by every run on the machine)")
    subprocess.run(["rm", "-rf", SCRATCH])
    sys.exit(1 if total_survivors or total_leftovers else 0)


if __name__ == "__main__":
    main()
