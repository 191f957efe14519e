/// Makes "spawned" and "known to the watchdog" one step: a process whose owner dies
/// between the two never runs.
///
/// A pid exists only once the process does, so a group cannot be registered before its
/// spawn; an owner SIGKILLed in between would orphan the process. When a watchdog list
/// exists, every process is therefore spawned through this gate: `/bin/sh` (the same
/// process, which then execs the real program) that waits until the list names its own
/// group. The owner registers the pid right after the spawn, which opens the gate. If the
/// owner dies first, the gate never opens: the watchdog removes the list (or, were the
/// watchdog gone too, the owner is seen dead), and the gate exits 125 without running the
/// program. The pid, the process group and the arguments the program sees are unchanged;
/// the cost is one `/bin/sh` exec (about a millisecond).
enum SpawnGate {
    /// `$1` is the watchdog list, `$2` the owner's pid, the rest the program and its
    /// arguments. Reads the list with shell builtins; sleeps (an external `sleep`) only
    /// if the owner has not registered the group after a few hundred quick reads.
    static let script = #"""
        list=$1 owner=$2
        shift 2
        tries=0
        while [ -f "$list" ] && kill -0 "$owner" 2>/dev/null; do
            found=0
            while read -r kind id rest; do
                [ "$kind" = group ] && [ "$id" = "$$" ] && found=1
            done < "$list"
            [ "$found" = 1 ] && exec "$@"
            tries=$((tries + 1))
            [ "$tries" -gt 200 ] && sleep 0.005
            [ "$tries" -gt 2200 ] && break
        done
        echo "testbed: not started: its owner ($owner) did not register it with the watchdog" >&2
        exit 125
        """#

    /// The program and arguments that run `executable arguments` behind the gate of the
    /// watchdog list `list`, owned by `owner`.
    static func wrap(_ executable: String, _ arguments: [String], list: String, owner: Int32) -> (String, [String]) {
        ("/bin/sh", ["-c", script, "testbed-spawn-gate", list, String(owner), executable] + arguments)
    }
}
