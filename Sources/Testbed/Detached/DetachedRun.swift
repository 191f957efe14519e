import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A detached environment (`testbed up -d`): who supervises it and where it lives.
///
/// The supervisor writes `detached.json` in its run directory and holds the lock
/// `ROOT/.names/NAME.lock` for as long as it runs, so a name is never used twice.
public struct DetachedRun: Codable, Sendable {
    /// The environment's name; no two running detached environments share one.
    public var name: String
    /// The supervisor's process id.
    public var pid: Int32
    /// Absolute, standardized path of the manifest the environment was started from.
    public var manifest: String
    /// The run directory, where `detached.json` and the control socket live.
    public var runDirectory: String
    /// Seconds since 1970.
    public var startedAt: Double
    /// When the lease (`--ttl`) ends, in seconds since 1970.
    public var expiresAt: Double?

    /// Path of the Unix socket on which the supervisor answers `status`, `env`, `reset` and `down`.
    public var controlSocket: String { runDirectory + "/control.sock" }
    /// True while the supervisor process exists (a zombie counts as gone).
    public var isAlive: Bool { Collector.isAlive(pid) }

    /// Describes a detached run; `startedAt` and `expiresAt` are in seconds since 1970.
    public init(name: String, pid: Int32, manifest: String, runDirectory: String, startedAt: Double, expiresAt: Double?) {
        self.name = name
        self.pid = pid
        self.manifest = manifest
        self.runDirectory = runDirectory
        self.startedAt = startedAt
        self.expiresAt = expiresAt
    }

    /// Writes `detached.json` into the run directory (atomically); throws when the file cannot be written.
    public func write() throws {
        let data = try JSONEncoder().encode(self)
        try data.write(to: URL(fileURLWithPath: runDirectory + "/detached.json"), options: .atomic)
    }

    /// The detached environments of this user that are running, sorted by name.
    public static func all(root: String) -> [DetachedRun] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return entries.compactMap { entry -> DetachedRun? in
            guard let data = FileManager.default.contents(atPath: root + "/" + entry + "/detached.json"),
                  let run = try? JSONDecoder().decode(DetachedRun.self, from: data), run.isAlive else { return nil }
            return run
        }.sorted { $0.name < $1.name }
    }

    /// The running environment called `name`; without a name, the only one running.
    /// Throws ``ControlError`` that says what is running instead.
    public static func find(_ name: String?, root: String) throws -> DetachedRun {
        let running = all(root: root)
        if let name {
            guard let run = running.first(where: { $0.name == name }) else {
                let others = running.map(\.name)
                throw ControlError("no detached environment named '\(name)' is running"
                    + (others.isEmpty ? "" : " (running: \(others.joined(separator: ", ")))"))
            }
            return run
        }
        switch running.count {
        case 0: throw ControlError("no detached environment is running; start one with: testbed up -d MANIFEST")
        case 1: return running[0]
        default: throw ControlError("several environments are running (\(running.map(\.name).joined(separator: ", "))); name one")
        }
    }
}

/// An exclusive hold on an environment name, released when the holder exits.
public final class NameLock: Sendable {
    private let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    /// Takes the name, or returns nil when a running environment holds it.
    public static func acquire(_ name: String, root: String) throws -> NameLock? {
        let folder = root + "/.names"
        try RunDirectory.makeDirectory(root)
        try RunDirectory.makeDirectory(folder)
        let fd = open(folder + "/\(name).lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ControlError("cannot open \(folder)/\(name).lock: \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        return NameLock(fd: fd)
    }

    deinit { close(fd) }
}
