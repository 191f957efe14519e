import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reclaims what dead runs left behind under a run root, never touching a live run.
///
/// A run is dead when the process recorded in its `state.json` no longer exists. What
/// is reclaimed: run directories of dead owners (kept ones only when asked), the
/// watchdog lists of dead owners (after stopping any group still listed — a watchdog
/// that was itself killed), and System V shared memory segments created by a listed
/// PostgreSQL server that no process is attached to any more.
public struct Collector: Sendable {
    /// What one collection reclaimed, and what it left alone on purpose.
    public struct Report: Sendable, Equatable {
        /// Run directories deleted.
        public var removedRuns: [String] = []
        /// Process groups listed by dead owners that were still alive and were sent SIGKILL.
        public var stoppedGroups: [Int32] = []
        /// System V shared memory segment ids removed (left by a killed PostgreSQL server).
        public var removedSegments: [Int32] = []
        /// Directories of dead runs kept on purpose and left in place (`includingKept` was false).
        public var keptRuns: [String] = []
    }

    /// The run root this collector cleans (see ``RunDirectory/root(environment:)``).
    public let root: String

    /// Makes a collector for the runs under `root`; nothing is touched until ``collect(includingKept:)``.
    public init(root: String) {
        self.root = root
    }

    /// - Parameter includingKept: also remove directories kept on purpose (failed starts, `--keep`).
    public func collect(includingKept: Bool) -> Report {
        var report = Report()
        let fm = FileManager.default
        var deadGroups: [Int32] = []
        let owners = root + "/.owners"
        for entry in (try? fm.contentsOfDirectory(atPath: owners)) ?? [] {
            if entry.hasSuffix(".tmp"), let pid = Int32(entry.dropLast(4)), !Self.isAlive(pid) {
                try? fm.removeItem(atPath: owners + "/" + entry)
                continue
            }
            guard let pid = Int32(entry), !Self.isAlive(pid) else { continue }
            let list = owners + "/" + entry
            let lines = ((try? String(contentsOfFile: list, encoding: .utf8)) ?? "").split(separator: "\n")
            for line in lines {
                let words = line.split(separator: " ", maxSplits: 2).map(String.init)
                if words.count == 3, words[0] == "group", let pgid = Int32(words[1]) {
                    deadGroups.append(pgid)
                    if Glibc.kill(-pgid, SIGKILL) == 0 { report.stoppedGroups.append(pgid) }
                } else if words.count >= 2, words[0] == "dir", fm.fileExists(atPath: words[1]) {
                    try? fm.removeItem(atPath: words[1])
                    report.removedRuns.append(words[1])
                }
            }
            try? fm.removeItem(atPath: list)
        }
        for entry in (try? fm.contentsOfDirectory(atPath: root)) ?? [] where !entry.hasPrefix(".") {
            let run = RunDirectory(path: root + "/" + entry)
            guard let state = RunState.read(from: run), !Self.isAlive(state.pid) else { continue }
            if run.isKept && !includingKept {
                report.keptRuns.append(run.path)
                continue
            }
            run.remove()
            report.removedRuns.append(run.path)
        }
        report.removedSegments = Self.removeOrphanSegments(createdBy: Set(deadGroups))
        return report
    }

    /// True when a process with this id exists (a zombie counts as gone).
    static func isAlive(_ pid: Int32) -> Bool {
        ProcessTable.isAlive(pid)
    }

    /// Segments in /proc/sysvipc/shm with no process attached whose creator is one of `creators`.
    static func removeOrphanSegments(createdBy creators: Set<Int32>) -> [Int32] {
        guard !creators.isEmpty, let data = ProcessTable.read("/proc/sysvipc/shm") else { return [] }
        let table = String(decoding: data, as: UTF8.self)
        var removed: [Int32] = []
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            // key shmid perms size cpid lpid nattch ...
            guard fields.count > 6, let id = Int32(fields[1]), let cpid = Int32(fields[4]), let attached = Int(fields[6]),
                  attached == 0, creators.contains(cpid), !isAlive(cpid) else { continue }
            if shmctl(id, IPC_RMID, nil) == 0 { removed.append(id) }
        }
        return removed
    }
}
