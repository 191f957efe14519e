import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A process as Testbed started it: its pid and the start time the kernel recorded for it.
///
/// A pid alone names whatever process holds the number *now*; after the process is gone
/// the kernel hands the number to the next process, which may be anyone's. Testbed records
/// the start time (`/proc/PID/stat`, field 22, in clock ticks since boot) when it registers
/// a process and signals the pid — or its group — only while the pid still has that start
/// time. The pair cannot be forged by another user: start times only grow.
///
/// Linux only (it reads /proc).
package struct ProcessIdentity: Sendable, Hashable, Codable {
    /// The process id.
    package var pid: Int32
    /// Clock ticks since boot at which the process started (field 22 of `/proc/PID/stat`).
    package var startTime: UInt64

    /// Makes an identity from recorded values.
    package init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// The identity of the live process `pid`; nil when there is none (or /proc is unreadable).
    package static func of(_ pid: Int32) -> ProcessIdentity? {
        guard pid > 0, let entry = ProcessTable.entry(pid) else { return nil }
        return ProcessIdentity(pid: pid, startTime: entry.startTime)
    }

    /// This process.
    package static var current: ProcessIdentity {
        of(getpid()) ?? ProcessIdentity(pid: getpid(), startTime: 0)
    }

    /// True while `pid` names the same process (same start time) and it has not exited
    /// (a zombie counts as gone).
    package var isRunning: Bool {
        guard let entry = ProcessTable.entry(pid), entry.startTime == startTime else { return false }
        return entry.isLive
    }

    /// True while `pid` names the same process, a zombie included (its group may still have members).
    package var exists: Bool {
        ProcessTable.entry(pid)?.startTime == startTime
    }

    /// Sends `signal` to the process, only if it is still this identity. Returns 0, or the errno
    /// (`ESRCH` when the pid now names another process or none).
    package func signal(_ signal: Int32) -> Int32 {
        guard exists else { return ESRCH }
        return Glibc.kill(pid, signal) == 0 ? 0 : errno
    }

    /// Sends `signal` to the process group this process leads, only if the leader (pid ==
    /// pgid) is still this identity — a zombie leader included, since its group lives on.
    /// Returns 0, or the errno (`ESRCH` when the leader is gone or the pid was reused).
    ///
    /// While any member of a group is alive the kernel does not reuse its id, so a group
    /// whose leader is checked here stays the group Testbed started until it is empty.
    package func signalGroup(_ signal: Int32) -> Int32 {
        guard exists else { return ESRCH }
        return Glibc.kill(-pid, signal) == 0 ? 0 : errno
    }
}
