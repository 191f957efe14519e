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
/// and deletes the run directories still listed. A process that exits normally has
/// already stopped its services, so the list is empty and the watchdog simply exits.
///
/// PR_SET_PDEATHSIG was not used: it fires when the parent *thread* exits, and Foundation
/// spawns from pool threads that come and go.
public enum Watchdog {
    private static let started = Mutex<String?>(nil)

    /// The script: wait for EOF, then stop the listed groups and remove the listed folders.
    static let script = #"""
        trap '' HUP INT TERM
        list="$1"
        while IFS= read -r _; do :; done
        [ -f "$list" ] || exit 0
        while read -r kind id signal; do
            [ "$kind" = group ] && kill -"$signal" -"$id" 2>/dev/null
        done < "$list"
        i=0
        while [ $i -lt 10 ]; do
            alive=0
            while read -r kind id signal; do
                [ "$kind" = group ] && kill -0 -"$id" 2>/dev/null && alive=1
            done < "$list"
            [ $alive = 0 ] && break
            sleep 0.1; i=$((i + 1))
        done
        while read -r kind id signal; do
            [ "$kind" = group ] && kill -KILL -"$id" 2>/dev/null
        done < "$list"
        while read -r kind path; do
            [ "$kind" = dir ] && [ -n "$path" ] && rm -rf -- "$path"
        done < "$list"
        rm -f -- "$list"
        """#

    /// Starts this process's watchdog if it is not running yet. Its list lives in
    /// `root/.owners/PID`, where `testbed gc` also finds the lists of dead owners.
    public static func ensureStarted(root: String) throws {
        try started.withLock { current in
            guard current == nil else { return }
            let owners = root + "/.owners"
            try RunDirectory.makeDirectory(root)
            try RunDirectory.makeDirectory(owners)
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
