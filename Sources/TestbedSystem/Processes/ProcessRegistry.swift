import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The process groups and run directories this process owns, mirrored to a file that
/// the ``Watchdog`` reads if this process dies without cleaning up.
///
/// Every ``ServiceProcess`` registers its group when spawned and unregisters it once
/// stopped; every run directory registers while it must be removed on a crash (a
/// directory kept on purpose is unregistered first).
///
/// Each group is recorded with its leader's start time (``ProcessIdentity``), and is only
/// ever signalled — here, by the watchdog, by `testbed gc` — while its leader still has
/// that start time: a pid the kernel has since given to another process is left alone.
/// Every PostgreSQL server registers its System V segment with its own pid (the
/// segment's creator), so that whatever kills the server — a forced teardown here, the
/// watchdog, `testbed gc` after both died — also removes the segment once nothing is
/// attached (see `SharedMemorySegments`).
/// A service whose processes outlive their group (a container, run by its engine's own
/// daemon or `conmon`) registers the command that removes them: the watchdog and `gc` run
/// it after stopping the groups.
/// The list's format, one entry a line: `group PGID SIGNAL STARTTIME`, `dir PATH`,
/// `segment ID CREATOR` and `command ARG...` (arguments without white space).
package enum ProcessRegistry {
    private struct State {
        var groups: [Int32: (signal: Int32, leader: ProcessIdentity)] = [:]  // pgid → emergency signal, leader
        var directories: Set<String> = []
        var segments: [Int32: Int32] = [:]  // segment id → creator pid
        var commands: [String: [String]] = [:]  // key → argv
        var file: String?
    }
    private static let state = Mutex(State())

    /// Registers a process group the watchdog must stop if this process dies.
    /// Its leader's start time is read now; a group whose leader has already exited is not listed.
    package static func add(_ pgid: Int32, signal: Int32 = SIGTERM) {
        guard let leader = ProcessIdentity.of(pgid) else { return }
        update { $0.groups[pgid] = (signal, leader) }
    }

    /// Unregisters a group once it is stopped.
    package static func remove(_ pgid: Int32) {
        update { _ = $0.groups.removeValue(forKey: pgid) }
    }

    /// Registers the System V segment `id` that the process `creator` made (a server's
    /// interlock segment), to be removed if the server is killed and nothing is attached.
    package static func addSegment(_ id: Int32, creator: Int32) {
        update { $0.segments[id] = creator }
    }

    /// Unregisters a segment once its server has stopped (and the segment is gone).
    package static func removeSegment(_ id: Int32) {
        update { _ = $0.segments.removeValue(forKey: id) }
    }

    /// Registers `argv` (no argument may hold white space, none may be empty) under `key`:
    /// a command the watchdog, or `testbed gc` after it, runs if this process dies before
    /// ``removeCommand(_:)``. Returns false, registering nothing, for an argv it cannot list.
    @discardableResult
    package static func addCommand(_ key: String, _ argv: [String]) -> Bool {
        guard !argv.isEmpty, argv.allSatisfy({ !$0.isEmpty && !$0.contains(where: \.isWhitespace) }) else { return false }
        update { $0.commands[key] = argv }
        return true
    }

    /// True while a command is registered under `key`.
    package static func hasCommand(_ key: String) -> Bool {
        state.withLock { $0.commands[key] != nil }
    }

    /// Unregisters the command under `key` once what it would undo is undone.
    package static func removeCommand(_ key: String) {
        update { _ = $0.commands.removeValue(forKey: key) }
    }

    package static func addDirectory(_ path: String) {
        update { _ = $0.directories.insert(path) }
    }

    package static func removeDirectory(_ path: String) {
        update { _ = $0.directories.remove(path) }
    }

    /// Starts mirroring to `file` (the watchdog's list), written at once so that the
    /// ``SpawnGate`` of the first spawn finds it.
    static func mirror(to file: String) {
        update { $0.file = file }
    }

    /// The watchdog's list this registry mirrors to; nil until a watchdog runs.
    static var listFile: String? { state.withLock { $0.file } }

    /// The groups still registered.
    package static var live: Set<Int32> { state.withLock { Set($0.groups.keys) } }

    /// SIGKILL to every registered group whose leader is still the process registered: a
    /// forced teardown (a second Ctrl-C). Then the registered segments of the killed servers
    /// are removed once nothing is attached (up to a second each; blocks the thread).
    package static func killAll() {
        let (leaders, segments) = state.withLock { ($0.groups.values.map(\.leader), $0.segments) }
        for leader in leaders { _ = leader.signalGroup(SIGKILL) }
        for (id, creator) in segments.sorted(by: { $0.key < $1.key }) {
            SharedMemorySegments.removeOrphan(id: id, creator: creator, waiting: .seconds(1))
        }
    }

    private static func update(_ change: (inout State) -> Void) {
        state.withLock { state in
            change(&state)
            guard let file = state.file else { return }
            // Written whole and renamed, so the watchdog never reads half a list.
            var text = ""
            for (pgid, entry) in state.groups.sorted(by: { $0.key < $1.key }) {
                text += "group \(pgid) \(entry.signal) \(entry.leader.startTime)\n"
            }
            for directory in state.directories.sorted() { text += "dir \(directory)\n" }
            for (id, creator) in state.segments.sorted(by: { $0.key < $1.key }) { text += "segment \(id) \(creator)\n" }
            for (_, argv) in state.commands.sorted(by: { $0.key < $1.key }) { text += "command \(argv.joined(separator: " "))\n" }
            let temporary = file + ".tmp"
            if FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) {
                rename(temporary, file)
            }
        }
    }
}
