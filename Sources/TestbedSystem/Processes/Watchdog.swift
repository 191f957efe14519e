import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Stops everything this process started if it dies without tearing down — SIGKILL,
/// a crash, an OOM kill — the way Testcontainers' reaper holds a connection.
///
/// The first environment started in a process spawns one watchdog: `/bin/sh` reading a
/// pipe whose only write end this process holds (Foundation closes every other
/// descriptor in the children it spawns, so no service inherits it). When this process
/// dies, the kernel closes the pipe; the watchdog reads end-of-file, sends each group in
/// ``ProcessRegistry``'s list its emergency signal, SIGKILLs what is left a second later,
/// runs the listed cleanup commands (a container's removal), removes the listed servers' System V segments that nothing is attached to any more
/// (created by the listed pid, which is gone), and deletes the run directories still listed. A process that exits normally has
/// already stopped its services, so the list is empty and the watchdog simply exits.
///
/// PR_SET_PDEATHSIG was not used: it fires when the parent *thread* exits, and Foundation
/// spawns from pool threads that come and go.
package enum Watchdog {
    private static let started = Mutex<String?>(nil)

    /// The script: wait for EOF, then stop the listed groups and remove the listed folders.
    ///
    /// It trusts its list only because the list lives in a folder only this account can
    /// write (`ROOT/.owners`, checked by ``PrivateDirectory``), and still checks what it acts
    /// on: a group is signalled only while its leader has the start time recorded when it was
    /// registered (field 22 of /proc/PID/stat; a reused pid is left alone), and a folder is
    /// deleted only if its path is absolute without `.`/`..` parts, it is a real directory,
    /// and its parent belongs to this account and is not writable by group or others.
    static let script = #"""
        trap '' HUP INT TERM
        list="$1"
        while IFS= read -r _; do :; done
        [ -f "$list" ] && [ ! -L "$list" ] || exit 0
        ours() {
            IFS= read -r line < "/proc/$1/stat" 2>/dev/null || return 1
            start=$2
            set -f; set -- ${line##*) }; set +f
            [ "${20}" = "$start" ]
        }
        groups=
        while read -r kind id signal start; do
            [ "$kind" = group ] || continue
            case "$id:$signal:$start" in *[!0-9:]*|:*|*::*|*:) continue;; esac
            ours "$id" "$start" || continue
            groups="$groups $id"
            kill -"$signal" -"$id" 2>/dev/null
        done < "$list"
        i=0
        while [ -n "$groups" ] && [ $i -lt 10 ]; do
            alive=0
            for id in $groups; do kill -0 -"$id" 2>/dev/null && alive=1; done
            [ $alive = 0 ] && break
            sleep 0.1; i=$((i + 1))
        done
        for id in $groups; do kill -KILL -"$id" 2>/dev/null; done
        while read -r kind rest; do
            [ "$kind" = command ] && [ -n "$rest" ] || continue
            set -f; set -- $rest; set +f
            "$@" </dev/null >/dev/null 2>&1
        done < "$list"
        i=0
        while [ $i -lt 20 ]; do
            waiting=
            while read -r kind id creator; do
                [ "$kind" = segment ] || continue
                case "$id:$creator" in *[!0-9:]*|:*|*:) continue;; esac
                while read -r _ shmid _ _ cpid _ nattch _; do
                    [ "$shmid" = "$id" ] && [ "$cpid" = "$creator" ] || continue
                    [ -d "/proc/$creator" ] && ! grep -q '^State:.*Z' "/proc/$creator/status" 2>/dev/null && { waiting=1; continue; }
                    if [ "$nattch" = 0 ]; then ipcrm -m "$id" 2>/dev/null; else waiting=1; fi
                done < /proc/sysvipc/shm
            done < "$list"
            [ -z "$waiting" ] && break
            sleep 0.1; i=$((i + 1))
        done
        while read -r kind path; do
            [ "$kind" = dir ] || continue
            case "$path" in /*) ;; *) continue;; esac
            case "$path/" in */./*|*/../*) continue;; esac
            parent=${path%/*}
            [ -d "$path" ] && [ ! -L "$path" ] && [ -O "$parent" ] && [ ! -L "$parent" ] || continue
            [ -z "$(find "$parent" -maxdepth 0 -perm /022)" ] || continue
            rm -rf -- "$path"
        done < "$list"
        rm -f -- "$list"
        """#

    /// Starts this process's watchdog if it is not running yet. Its list lives in
    /// `root/.owners/PID`, where `testbed gc` also finds the lists of dead owners.
    ///
    /// Throws ``PathTrustError`` when `root` (created 0700 when missing) or `root/.owners` is
    /// not a folder only this account can change.
    package static func ensureStarted(root: String) throws {
        try started.withLock { current in
            guard current == nil else { return }
            let owners = root + "/.owners"
            try PrivateDirectory.ensure(root, what: "the run root")
            try PrivateDirectory.makeFolder(owners)
            let list = owners + "/\(getpid())"
            ProcessRegistry.mirror(to: list)
            let pipe = Pipe()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script, "testbed-watchdog", list]
            process.standardInput = pipe
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try withUnblockedSignals { try process.run() }
            // Keep the write end open for the life of this process; never close it.
            let fd = pipe.fileHandleForWriting.fileDescriptor
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            keep(pipe)
            current = list
        }
    }

    private static let kept = Mutex<[Pipe]>([])
    private static func keep(_ pipe: Pipe) { kept.withLock { $0.append(pipe) } }
}
