import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

/// Reclaims what dead runs left behind under a run root, never touching a live run.
///
/// A run is dead when the process recorded in its `state.json` no longer exists. What
/// is reclaimed: run directories of dead owners (kept ones only when asked), the
/// watchdog lists of dead owners (after stopping any group still listed — a watchdog
/// that was itself killed), System V shared memory segments that a killed PostgreSQL
/// server left with no process attached (the segments its owner listed, and — as root —
/// those of Testbed's dynamic user ids), and, as root, what still runs as a dynamic user
/// id that no run holds (see `DynamicUser`).
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
        /// Dynamic user ids no run held, of which processes or segments were left and removed.
        public var clearedUserIDs: [UInt32] = []
        /// Cleanup commands of dead owners that ran and succeeded (a container's removal).
        public var cleanupCommands: [String] = []
        /// Folders of reflink images (see `LoopImage`) that no run held: unmounted and deleted.
        public var removedImages: [String] = []
    }

    /// The run root this collector cleans (see `RunDirectory.root(environment:)`).
    package let root: String

    /// Makes a collector for the runs under `root`; nothing is touched until `collect(includingKept:keepingNewest:)`.
    public init(root: String) {
        self.root = root
    }

    /// How many kept directories of dead runs `Environment.start()` leaves in place: older
    /// ones are removed, so failed starts under `swift test` do not pile up.
    public static let keptRunsLimit = 5

    /// - Parameter includingKept: also remove directories kept on purpose (failed starts, `--keep`).
    /// - Parameter keepingNewest: when `includingKept` is false, still remove kept directories
    ///   of dead runs beyond this many, oldest first (by the time they were marked kept).
    ///
    /// Throws ``PathTrustError`` when the root exists but is not a folder only this account
    /// can change (another user's, a symlink, writable by others): nothing in it is trusted.
    /// A missing root has nothing to collect. A listed group is signalled only while its
    /// leader has the start time recorded at registration, and a listed folder is removed
    /// only when it is a real directory whose parent belongs to this account.
    package func collect(includingKept: Bool, keepingNewest: Int = .max) throws(PathTrustError) -> Report {
        var report = Report()
        var info = stat()
        guard lstat(root, &info) == 0 else { return report }
        try PrivateDirectory.verify(root, what: "the run root")
        let fm = FileManager.default
        var deadGroups: [Int32] = []
        var listedSegments: [(id: Int32, creator: Int32)] = []
        let owners = root + "/.owners"
        if lstat(owners, &info) == 0 { try PrivateDirectory.verify(owners, what: "the watchdog folder") }
        for entry in (try? fm.contentsOfDirectory(atPath: owners)) ?? [] {
            if entry.hasSuffix(".tmp"), let pid = Int32(entry.dropLast(4)), !Self.isAlive(pid) {
                unlink(owners + "/" + entry)
                continue
            }
            guard let pid = Int32(entry), !Self.isAlive(pid) else { continue }
            let list = owners + "/" + entry
            let lines = ((try? String(contentsOfFile: list, encoding: .utf8)) ?? "").split(separator: "\n")
            for line in lines {
                if line.hasPrefix("group ") {
                    let words = line.split(separator: " ")
                    // group PGID SIGNAL STARTTIME; a group without its start time cannot be checked and is not signalled.
                    guard words.count >= 3, let pgid = Int32(words[1]) else { continue }
                    deadGroups.append(pgid)
                    guard words.count == 4, let start = UInt64(words[3]) else { continue }
                    if ProcessIdentity(pid: pgid, startTime: start).signalGroup(SIGKILL) == 0 { report.stoppedGroups.append(pgid) }
                } else if line.hasPrefix("segment ") {
                    // segment ID CREATOR: a server's segment, removed below once nothing is attached.
                    let words = line.split(separator: " ")
                    if words.count == 3, let id = Int32(words[1]), let creator = Int32(words[2]) { listedSegments.append((id, creator)) }
                } else if line.hasPrefix("command ") {
                    // command ARG...: what removes a service that outlives its group (a container).
                    let argv = line.dropFirst(8).split(separator: " ").map(String.init)
                    if Self.runCleanup(argv) { report.cleanupCommands.append(argv.joined(separator: " ")) }
                } else if line.hasPrefix("dir ") {
                    let path = String(line.dropFirst(4))
                    guard PrivateDirectory.isOwnChild(path) else { continue }
                    PrivateDirectory.removeTree(path)
                    report.removedRuns.append(path)
                }
            }
            unlink(list)
        }
        for entry in (try? fm.contentsOfDirectory(atPath: root)) ?? [] where !entry.hasPrefix(".") {
            let run = RunDirectory(path: root + "/" + entry)
            guard lstat(run.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid(),
                  let state = RunState.read(from: run), !Self.isAlive(state.pid) else { continue }
            if run.isKept && !includingKept {
                report.keptRuns.append(run.path)
                continue
            }
            run.remove()
            report.removedRuns.append(run.path)
        }
        if report.keptRuns.count > keepingNewest {
            let byAge = report.keptRuns.sorted { Self.keptTime($0) > Self.keptTime($1) }
            for path in byAge.dropFirst(max(keepingNewest, 0)) {
                RunDirectory(path: path).remove()
                report.removedRuns.append(path)
            }
            report.keptRuns = Array(byAge.prefix(max(keepingNewest, 0)))
        }
        report.clearedUserIDs = DynamicUser.sweep()
        report.removedSegments = Self.removeOrphanSegments(createdBy: Set(deadGroups))
        for segment in listedSegments where SharedMemorySegments.removeOrphan(id: segment.id, creator: segment.creator) {
            report.removedSegments.append(segment.id)
        }
        if UnixUser.isRoot {
            // A dynamic id's segment whose creator is gone and that nothing is attached to is
            // an orphan: no process of another account can have made it.
            for segment in SharedMemorySegments.all() where DynamicUser.contains(segment.creatorUID)
            && SharedMemorySegments.removeOrphan(id: segment.id, creator: segment.creator) {
                report.removedSegments.append(segment.id)
            }
        }
        return report
    }

    /// Runs a dead owner's cleanup command (its program an absolute path it listed itself,
    /// in its own list, 0700) with this process's environment; true when it exited 0.
    static func runCleanup(_ argv: [String]) -> Bool {
        guard let program = argv.first, program.hasPrefix("/") else { return false }
        return ShortCommand.run(argv).status == 0
    }

    /// When the run at `path` was marked kept (its `kept` file's modification time), else 0.
    static func keptTime(_ path: String) -> Int {
        var info = stat()
        guard lstat(path + "/kept", &info) == 0 else { return 0 }
        return info.st_mtim.tv_sec * 1_000_000_000 + info.st_mtim.tv_nsec
    }

    /// True when `path` is a run directory of this account whose owner (its `state.json`)
    /// lives; a directory without a readable state counts as live (it may be starting).
    static func isLiveRun(_ path: String) -> Bool {
        var info = stat()
        guard path.hasPrefix("/"), lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid() else { return false }
        guard let state = RunState.read(from: RunDirectory(path: path)) else { return true }
        return isAlive(state.pid)
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
