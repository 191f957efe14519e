import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

/// A detached environment (`testbed up -d`): who supervises it and where it lives.
///
/// The supervisor writes `detached.json` in its run directory and holds the lock
/// `ROOT/.names/NAME.lock` for as long as it runs, so a name is never used twice.
/// Both are trusted only inside a run root that ``PrivateDirectory`` accepts.
///
/// Names: a letter or digit, then up to 62 letters, digits, `.`, `_` or `-`
/// (``isValidName(_:)``), so a name never leaves the run root or hides among its dot-folders.
package struct DetachedRun: Codable, Sendable {
    /// The environment's name; no two running detached environments share one.
    package var name: String
    /// The supervisor's process id.
    package var pid: Int32
    /// The supervisor's start time (see ``ProcessIdentity``): its pid is signalled only while it matches.
    package var startTime: UInt64?
    /// Absolute, standardized path of the manifest the environment was started from.
    package var manifest: String
    /// The run directory, where `detached.json` and the control socket live.
    package var runDirectory: String
    /// Seconds since 1970.
    package var startedAt: Double
    /// When the lease (`--ttl`) ends, in seconds since 1970.
    package var expiresAt: Double?

    /// Path of the Unix socket on which the supervisor answers `status`, `env`, `reset` and `down`.
    package var controlSocket: String { runDirectory + "/control.sock" }
    /// The supervisor as it was started: nil for a file written without its start time.
    package var supervisor: ProcessIdentity? { startTime.map { ProcessIdentity(pid: pid, startTime: $0) } }
    /// True while the supervisor process exists (a zombie counts as gone; so does a pid now
    /// used by another process).
    package var isAlive: Bool { supervisor?.isRunning ?? Collector.isAlive(pid) }

    /// Describes a detached run; `startedAt` and `expiresAt` are in seconds since 1970.
    /// `startTime` is the supervisor's (``ProcessIdentity/startTime``).
    package init(name: String, pid: Int32, startTime: UInt64? = nil, manifest: String, runDirectory: String,
                startedAt: Double, expiresAt: Double?) {
        self.name = name
        self.pid = pid
        self.startTime = startTime
        self.manifest = manifest
        self.runDirectory = runDirectory
        self.startedAt = startedAt
        self.expiresAt = expiresAt
    }

    /// Writes `detached.json` into the run directory (atomically); throws when the file cannot be written.
    package func write() throws {
        let data = try JSONEncoder().encode(self)
        try data.write(to: URL(fileURLWithPath: runDirectory + "/detached.json"), options: .atomic)
    }

    /// True when `name` is a valid environment name: `[A-Za-z0-9][A-Za-z0-9._-]{0,62}`.
    package static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63, isNameByte(first), first != UInt8(ascii: "."),
              first != UInt8(ascii: "_"), first != UInt8(ascii: "-") else { return false }
        return name.utf8.allSatisfy(isNameByte)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// Throws ``ControlError`` (`invalidName`) unless `name` is valid (see ``isValidName(_:)``).
    package static func validateName(_ name: String) throws(ControlError) {
        guard isValidName(name) else {
            let shown = name.isEmpty ? "the empty name" : "'\(name)'"
            throw ControlError(.invalidName, "\(shown) is not a valid environment name: use a letter or digit, then up to 62 "
                + "letters, digits, '.', '_' or '-' (e.g. --name app-2)")
        }
    }

    /// The detached environments of this user that are running, sorted by name.
    ///
    /// Throws ``PathTrustError`` when `root` exists but is not a folder only this account can
    /// change: then nothing in it is believed (a missing root has none running). Only
    /// `detached.json` files of real run directories directly inside the root, that name that
    /// directory, are read.
    package static func all(root: String) throws(PathTrustError) -> [DetachedRun] {
        var info = stat()
        guard lstat(root, &info) == 0 else { return [] }
        try PrivateDirectory.verify(root, what: "the run root")
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return entries.compactMap { entry -> DetachedRun? in
            let folder = root + "/" + entry
            guard !entry.hasPrefix("."), lstat(folder, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid(),
                  let data = readFile(folder + "/detached.json"),
                  let run = try? JSONDecoder().decode(DetachedRun.self, from: data),
                  run.runDirectory == folder, isValidName(run.name), run.isAlive else { return nil }
            return run
        }.sorted { $0.name < $1.name }
    }

    /// ``all(root:)`` of each of `roots`, sorted by name.
    package static func all(roots: [String]) throws(PathTrustError) -> [DetachedRun] {
        var runs: [DetachedRun] = []
        for root in roots { runs += try all(root: root) }
        return runs.sorted { $0.name < $1.name }
    }

    /// The contents of a regular file, never through a symlink.
    private static func readFile(_ path: String) -> Data? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size < 1 << 20 else { return nil }
        return try? handle.readToEnd()
    }

    /// The running environment called `name`; without a name, the only one running.
    /// Throws ``ControlError`` that says what is running instead.
    /// Also throws ``PathTrustError`` for a run root that cannot be trusted (see ``all(root:)``).
    package static func find(_ name: String?, root: String) throws -> DetachedRun {
        try find(name, roots: [root])
    }

    /// Like ``find(_:root:)``, looking under each of `roots` (see ``RunDirectory/roots(environment:)``).
    package static func find(_ name: String?, roots: [String]) throws -> DetachedRun {
        if let name { try validateName(name) }
        let running = try all(roots: roots)
        if let name {
            guard let run = running.first(where: { $0.name == name }) else {
                let others = running.map(\.name)
                throw ControlError(.notRunning, "no detached environment named '\(name)' is running"
                    + (others.isEmpty ? "" : " (running: \(others.joined(separator: ", ")))"))
            }
            return run
        }
        switch running.count {
        case 0: throw ControlError(.notRunning, "no detached environment is running; start one with: testbed up -d MANIFEST")
        case 1: return running[0]
        default: throw ControlError(.ambiguous, "several environments are running (\(running.map(\.name).joined(separator: ", "))); name one")
        }
    }
}

/// An exclusive hold on an environment name, released when the holder exits.
package final class NameLock: Sendable {
    private let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    /// Takes the name, or returns nil when a running environment holds it. Throws
    /// ``ControlError`` for an invalid name and ``PathTrustError`` for a root that cannot be trusted.
    package static func acquire(_ name: String, root: String) throws -> NameLock? {
        try DetachedRun.validateName(name)
        let folder = root + "/.names"
        try PrivateDirectory.ensure(root, what: "the run root")
        try PrivateDirectory.makeFolder(folder)
        let fd = open(folder + "/\(name).lock", O_CREAT | O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ControlError(.system, "cannot open \(folder)/\(name).lock: \(errnoText())") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        return NameLock(fd: fd)
    }

    deinit { close(fd) }
}
