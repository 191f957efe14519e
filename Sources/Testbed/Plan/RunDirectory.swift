import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The private folder of one run: logs, sockets, database files and the run's state.
///
/// It lives under ``root(environment:)`` — on tmpfs (`/dev/shm`) when there is one, so
/// database clusters copied into it never touch the disk. Removed at teardown unless kept.
public struct RunDirectory: Sendable, Hashable {
    /// Absolute path of the run's folder.
    public let path: String

    /// The folder holding each service's log (`PATH/logs`).
    public var logs: String { path + "/logs" }
    /// The log file of `service`: its output, stdout and stderr interleaved.
    public func log(for service: String) -> String { logs + "/\(service).log" }
    /// A service's own folder (database files, sockets).
    public func folder(for service: String) -> String { path + "/services/\(service)" }
    /// `state.json`: who owns the run (pid, name, manifest), read by `testbed ls` and `gc`.
    public var stateFile: String { path + "/state.json" }

    /// The folder under which runs of this user are created: `TESTBED_RUN_ROOT`, else
    /// `/dev/shm/testbed-UID`, else `$TMPDIR/testbed-UID`.
    public static func root(environment: [String: String]) -> String {
        if let root = environment["TESTBED_RUN_ROOT"], !root.isEmpty { return root }
        var info = stat()
        if stat("/dev/shm", &info) == 0, access("/dev/shm", W_OK) == 0 {
            return "/dev/shm/testbed-\(geteuid())"
        }
        let tmp = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return tmp + "/testbed-\(geteuid())"
    }

    /// Creates a fresh run directory for `name` under `root`.
    public static func create(root: String, name: String) throws -> RunDirectory {
        try makeDirectory(root)
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let path = "\(root)/\(name)-\(getpid())-\(suffix)"
        try makeDirectory(path)
        let directory = RunDirectory(path: path)
        try makeDirectory(directory.logs)
        try makeDirectory(path + "/services")
        return directory
    }

    /// An existing run directory.
    public init(path: String) {
        self.path = path
    }

    /// Creates a folder readable and traversable by others (an unprivileged server user
    /// must reach its own files below it when Testbed runs as root).
    static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path,
                NSLocalizedDescriptionKey: "cannot create \(path): \(String(cString: strerror(errno)))"])
        }
        chmod(path, 0o755)
    }

    /// Marks a run directory kept on purpose (`--keep`, a failed start), so the automatic
    /// clean-up leaves it for the user; `testbed gc` removes it once its owner is gone.
    public func markKept() {
        _ = FileManager.default.createFile(atPath: path + "/kept", contents: nil)
    }

    /// True when the directory was kept on purpose (see ``markKept()``).
    public var isKept: Bool { FileManager.default.fileExists(atPath: path + "/kept") }

    /// Deletes the run directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
