import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What Linux's `/proc` says about processes: the one place Testbed reads it.
///
/// One rule for "alive" everywhere: a process is alive while its `/proc/PID/stat` exists
/// and its state is not `Z`. Zombies count as gone: where PID 1 does not reap orphans
/// (some container and VM init processes), an orphaned zombie can stay forever. A process
/// whose `stat` exists but cannot be read (a `hidepid` mount) counts as alive.
package enum ProcessTable {
    /// One line of `/proc/PID/stat`, the fields Testbed uses.
    package struct Entry: Sendable, Hashable {
        /// The process id.
        package var pid: Int32
        /// The state letter: `R`, `S`, `D`, `T`, `Z`, ...
        package var state: Character
        /// The parent's process id.
        package var parent: Int32
        /// The process group id.
        package var group: Int32
        /// When the process started, in clock ticks since boot: with the pid, it names one
        /// process for good (a reused pid has another start time).
        package var startTime: UInt64

        /// True unless the process is a zombie.
        package var isLive: Bool { state != "Z" }
    }

    /// The entry of `pid`; nil when there is no such process (or `stat` cannot be read).
    package static func entry(_ pid: Int32) -> Entry? {
        guard pid > 0, let data = read("/proc/\(pid)/stat") else { return nil }
        return parse(String(decoding: data, as: UTF8.self), pid: pid)
    }

    /// True while `pid` exists and is not a zombie.
    package static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        if let entry = entry(pid) { return entry.isLive }
        // No readable stat: gone, unless it exists but is hidden from us.
        return access("/proc/\(pid)/stat", F_OK) == 0
    }

    /// When `pid` started (clock ticks since boot); nil when there is no such process.
    package static func startTime(pid: Int32) -> UInt64? {
        entry(pid)?.startTime
    }

    /// The arguments `pid` runs with (`/proc/PID/cmdline`); nil when it cannot be read.
    package static func commandLine(_ pid: Int32) -> [String]? {
        guard let data = read("/proc/\(pid)/cmdline") else { return nil }
        return data.split(separator: 0, omittingEmptySubsequences: false).dropLast().map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    /// Every process whose process group is `pgid`, zombies included.
    package static func members(ofGroup pgid: Int32) -> [Entry] {
        all().filter { $0.group == pgid }
    }

    /// True when a process of group `pgid` exists that is not a zombie.
    package static func groupHasLiveMembers(_ pgid: Int32) -> Bool {
        if Glibc.kill(-pgid, 0) != 0 && errno == ESRCH { return false }
        return members(ofGroup: pgid).contains { $0.isLive }
    }

    /// Every process that can be read, in no particular order.
    package static func all() -> [Entry] {
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var entries: [Entry] = []
        while let item = readdir(directory) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = Int32(name), let entry = entry(pid) else { continue }
            entries.append(entry)
        }
        return entries
    }

    /// Parses one `stat` line. The command name (field 2) may hold spaces and parentheses,
    /// so fields are counted from the last `)`.
    static func parse(_ line: String, pid: Int32) -> Entry? {
        guard let close = line.lastIndex(of: ")") else { return nil }
        let fields = line[line.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); field N is fields[N - 3]; starttime is field 22.
        guard fields.count > 19, let state = fields[0].first, let parent = Int32(fields[1]),
              let group = Int32(fields[2]), let start = UInt64(fields[19]) else { return nil }
        return Entry(pid: pid, state: state, parent: parent, group: group, startTime: start)
    }

    /// Reads a whole `/proc` file (they report a size of 0, and `String(contentsOfFile:)`
    /// stops after the first 4 KiB read).
    package static func read(_ path: String) -> Data? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return nil }
            if count == 0 { return data }
            data.append(contentsOf: buffer[0..<count])
        }
    }
}
