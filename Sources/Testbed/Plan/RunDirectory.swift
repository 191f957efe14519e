import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

/// The private folder of one run: logs, sockets, database files and the run's state.
///
/// It lives under `root(environment:)` — on tmpfs (`/dev/shm`) when there is one, so
/// database clusters copied into it never touch the disk. Removed at teardown unless kept.
public struct RunDirectory: Sendable, Hashable {
    /// Absolute path of the run's folder.
    package let path: String

    /// The folder holding each service's log (`PATH/logs`).
    package var logs: String { path + "/logs" }
    /// The log file of `service`: its output, stdout and stderr interleaved.
    package func log(for service: String) -> String { logs + "/\(service).log" }
    /// A service's own folder (database files, sockets).
    package func folder(for service: String) -> String { path + "/services/\(service)" }
    /// `state.json`: who owns the run (pid, name, manifest), read by `testbed ls` and `gc`.
    package var stateFile: String { path + "/state.json" }

    /// The folder under which runs of this user are created: `TESTBED_RUN_ROOT`, else
    /// `/dev/shm/testbed-UID`, else `$TMPDIR/testbed-UID`.
    package static func root(environment: [String: String]) -> String {
        if let root = environment["TESTBED_RUN_ROOT"], !root.isEmpty { return root }
        var info = stat()
        if stat("/dev/shm", &info) == 0, access("/dev/shm", W_OK) == 0 {
            return "/dev/shm/testbed-\(geteuid())"
        }
        let tmp = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return tmp + "/testbed-\(geteuid())"
    }

    /// The folder on disk a run falls back to when memory has no room for it
    /// (see `RunRoot`): `/var/tmp/testbed-UID`, Testbed's own like the tmpfs root.
    package static func diskRoot() -> String {
        "/var/tmp/testbed-\(geteuid())"
    }

    /// The roots where this user's runs may be: `TESTBED_RUN_ROOT` alone when set, else
    /// ``root(environment:)`` and ``diskRoot()``, for `gc`, `ls` and `down`.
    package static func roots(environment: [String: String]) -> [String] {
        let root = root(environment: environment)
        if let given = environment["TESTBED_RUN_ROOT"], !given.isEmpty { return [root] }
        let disk = diskRoot()
        return disk == root ? [root] : [root, disk]
    }

    /// Checks (creating it 0700 when missing) that `root` is a run root this account can trust:
    /// a real directory it owns that nobody else can write (see ``PrivateDirectory``).
    /// Throws ``PathTrustError`` naming the path and what to do.
    package static func prepareRoot(_ root: String) throws(PathTrustError) {
        try PrivateDirectory.ensure(root, what: "the run root")
    }

    /// True when `name` may name a run directory: not empty, no `/`, no NUL, not starting with `.`
    /// (the root's own folders, `.owners` and `.names`, start with one).
    package static func isUsableName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !name.contains("/") && !name.contains("\0")
    }

    /// Creates a fresh run directory for `name` under `root` (checked with ``prepareRoot(_:)``).
    ///
    /// The run directory and its `logs` and `services` folders are 0700: only this account
    /// reads them. A server that runs as another account (PostgreSQL, as root) is given
    /// search permission on the way to its own folder only (see ``PrivateDirectory/grantSearch(_:to:)``).
    package static func create(root: String, name: String) throws -> RunDirectory {
        guard isUsableName(name) else {
            throw PathTrustError(.system, path: root, "'\(name)' cannot name a run directory",
                                 hint: "use letters, digits, '.', '_' and '-', not starting with '.'")
        }
        try prepareRoot(root)
        var path = ""
        for attempt in 0..<16 {
            let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
            path = "\(root)/\(name)-\(getpid())-\(suffix)"
            if mkdir(path, 0o700) == 0 { break }
            guard errno == EEXIST, attempt < 15 else {
                throw PathTrustError(.system, path: path, "cannot create \(path): \(errnoText())", hint: nil)
            }
        }
        let directory = RunDirectory(path: path)
        try makeDirectory(directory.logs)
        try makeDirectory(path + "/services")
        return directory
    }

    /// An existing run directory.
    public init(path: String) {
        self.path = path
    }

    /// Creates a private folder (0700) inside a run directory, or checks the existing one is ours.
    static func makeDirectory(_ path: String) throws {
        try PrivateDirectory.makeFolder(path)
    }

    /// Marks a run directory kept on purpose (`--keep`, a failed start), so the automatic
    /// clean-up leaves it for the user; `testbed gc` removes it once its owner is gone.
    package func markKept() {
        let fd = open(path + "/kept", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
    }

    /// True when the directory was kept on purpose (see ``markKept()``).
    package var isKept: Bool { FileManager.default.fileExists(atPath: path + "/kept") }

    /// Deletes the run directory and everything in it, never following a symlink (a server
    /// account owns a folder inside; see ``PrivateDirectory/removeTree(_:)``).
    package func remove() {
        PrivateDirectory.removeTree(path)
    }
}
