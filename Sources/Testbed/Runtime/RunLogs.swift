import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedDrivers

/// The logs of one run, read from a run directory (running or kept) or from a folder of
/// ``KeptLogs``: both have the same layout.
///
/// - `logs/SERVICE.log` is a process service's output (`SERVICE.health.log` its command probe's);
/// - `services/SERVICE/postgres.log` is a PostgreSQL server's log, named after the service;
///   the other `*.log` files there (`initdb.log`, `seed-N.log`) are named `SERVICE.initdb`, `SERVICE.seed-N`.
///
/// Files are opened without following links and only when they are regular files, in folders
/// of this account that nobody else can write: a server account that owns a folder next to
/// them cannot make Testbed read (and print) something else.
package struct RunLogs: Sendable {
    /// One log: the name it is shown under and its path.
    package struct Log: Sendable, Hashable {
        /// `api`, `api.health`, `db` (PostgreSQL's server log), `db.initdb`, `db.seed-1`.
        package let name: String
        /// The file's absolute path.
        package let path: String
    }

    /// The folder read: a run directory or a kept-logs folder.
    package let folder: String

    /// The logs of the run in `folder`.
    package init(folder: String) {
        self.folder = folder
    }

    /// Every log found, sorted by name.
    package var all: [Log] {
        var found: [Log] = []
        for file in Self.files(in: folder + "/logs") {
            found.append(Log(name: String(file.dropLast(4)), path: folder + "/logs/" + file))
        }
        // A server's own log (PostgreSQL's `postgres.log`) is the service's log.
        let serverLogs = Set(ServiceKinds.all.compactMap(\.serverLog))
        for service in Self.folders(in: folder + "/services") {
            let directory = folder + "/services/" + service
            for file in Self.files(in: directory) {
                let stem = String(file.dropLast(4))
                found.append(Log(name: serverLogs.contains(stem) ? service : service + "." + stem, path: directory + "/" + file))
            }
        }
        return found.sorted { $0.name < $1.name }
    }

    /// The logs to print for `service` (nil: all): its own log by that exact name.
    package func logs(for service: String?) -> [Log] {
        guard let service else { return all }
        return all.filter { $0.name == service }
    }

    /// Reads `path` from `offset` to its end; nil when it is not a regular file (or a link).
    package static func read(_ path: String, from offset: UInt64 = 0) -> Data? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        guard lseek(fd, off_t(offset), SEEK_SET) >= 0 else { return nil }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            data.append(contentsOf: buffer[0..<count])
        }
        return data
    }

    /// True when `path` is a real directory of this account that group and others cannot write.
    static func isOwnFolder(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR && info.st_uid == geteuid()
            && info.st_mode & 0o022 == 0
    }

    /// The `*.log` regular files directly in `directory`, when it is one of ours.
    static func files(in directory: String) -> [String] {
        guard isOwnFolder(directory) else { return [] }
        return entries(of: directory).filter { name in
            var info = stat()
            return name.hasSuffix(".log") && name.count > 4
                && lstat(directory + "/" + name, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
        }
    }

    /// The sub-folders of `directory` that are ours (a service's folder), when `directory` is ours.
    static func folders(in directory: String) -> [String] {
        guard isOwnFolder(directory) else { return [] }
        return entries(of: directory).filter { !$0.hasPrefix(".") && isOwnFolder(directory + "/" + $0) }
    }

    static func entries(of directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }
}
