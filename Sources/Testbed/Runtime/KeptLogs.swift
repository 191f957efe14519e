import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

/// The logs of runs that failed, saved at teardown so they can be read afterwards
/// (`testbed logs --last`) while the run's databases are deleted as usual.
///
/// Each saved run is `RUN_ROOT/.logs/NAME-YYYYMMDD-HHMMSS-PID/`, laid out like a run
/// directory (`logs/SERVICE.log`, `services/SERVICE/postgres.log`, …; see ``RunLogs``) with a
/// `kept` file written last. `.logs` and every folder in it are `0700`, files `0600`: only
/// the caller reads them. Pruning is per environment: the newest ``limit(environment:)``
/// saved runs of each environment name are kept (one stack's failures never delete another's
/// logs), and any saved run older than ``maximumAge(environment:)`` goes whatever its name.
/// Removal is ``PrivateDirectory/removeTree(_:)``, and only inside `.logs`.
package enum KeptLogs {
    /// How many saved runs of one environment are kept when `TESTBED_KEEP_LOGS` does not say.
    package static let defaultLimit = 10

    /// How many days a saved run is kept when `TESTBED_KEEP_LOGS_DAYS` does not say.
    package static let defaultDays = 14

    /// `RUN_ROOT/.logs`.
    package static func folder(runRoot: String) -> String { runRoot + "/.logs" }

    /// `TESTBED_KEEP_LOGS` when it is a whole number ≥ 0, else ``defaultLimit``.
    package static func limit(environment: [String: String]) -> Int {
        environment["TESTBED_KEEP_LOGS"].flatMap { Int($0) }.flatMap { $0 >= 0 ? $0 : nil } ?? defaultLimit
    }

    /// `TESTBED_KEEP_LOGS_DAYS` (days, a whole number ≥ 1) as seconds, else ``defaultDays``.
    package static func maximumAge(environment: [String: String]) -> Double {
        let days = environment["TESTBED_KEEP_LOGS_DAYS"].flatMap { Int($0) }.flatMap { $0 >= 1 ? $0 : nil } ?? defaultDays
        return Double(days) * 86_400
    }

    /// Copies every log of `run` (see ``RunLogs``) into a new folder under `RUN_ROOT/.logs`
    /// (the run directory's parent), then prunes (``prune(runRoot:keep:maximumAge:now:)``):
    /// `limit` saved runs of each environment name, none older than `maximumAge` seconds.
    /// Returns the new folder, or nil when `limit` is 0.
    ///
    /// Throws ``PathTrustError`` when `.logs` cannot be trusted (a link, another account's,
    /// writable by others) or a folder cannot be created; nothing is written then.
    @discardableResult
    package static func save(_ run: RunDirectory, name: String, limit: Int = defaultLimit,
                            maximumAge: Double = Double(defaultDays) * 86_400) throws(PathTrustError) -> String? {
        guard limit > 0 else { return nil }
        let root = folder(runRoot: (run.path as NSString).deletingLastPathComponent)
        try PrivateDirectory.ensure(root, what: "the kept-logs folder")
        let destination = try makeRunFolder(in: root, name: name)
        for log in RunLogs(folder: run.path).all {
            let relative = String(log.path.dropFirst(run.path.count + 1))
            let parts = relative.split(separator: "/").dropLast()
            var current = destination
            for part in parts {
                current += "/" + part
                try PrivateDirectory.makeFolder(current)
            }
            copy(log.path, to: destination + "/" + relative)
        }
        let fd = open(destination + "/kept", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
        prune(runRoot: (run.path as NSString).deletingLastPathComponent, keep: limit, maximumAge: maximumAge)
        return destination
    }

    /// Removes, in `RUN_ROOT/.logs`, every saved run older than `maximumAge` seconds (at `now`)
    /// and, of each environment name, the oldest until `keep` are left. Does nothing when
    /// `.logs` is missing or cannot be trusted.
    package static func prune(runRoot: String, keep: Int, maximumAge: Double = Double(defaultDays) * 86_400,
                             now: Double = Date().timeIntervalSince1970) {
        let root = folder(runRoot: runRoot)
        guard (try? PrivateDirectory.verify(root, what: "the kept-logs folder")) != nil else { return }
        let byName = Dictionary(grouping: savedRuns(in: root)) { environmentName(ofSavedRun: $0.path) }
        for runs in byName.values {
            let surplus = runs.dropLast(max(keep, 0)).map(\.path)
            let expired = runs.filter { now - $0.time > maximumAge }.map(\.path)
            for old in Set(surplus + expired) where PrivateDirectory.isOwnChild(old) {
                PrivateDirectory.removeTree(old)
            }
        }
    }

    /// The environment name of a saved run's folder `NAME-YYYYMMDD-HHMMSS-PID[-N]`: the
    /// folder name without its stamp (the whole name when it has none).
    static func environmentName(ofSavedRun path: String) -> String {
        let folder = (path as NSString).lastPathComponent
        guard let match = folder.wholeMatch(of: /(.+)-[0-9]{8}-[0-9]{6}-[0-9]+(?:-[0-9]+)?/) else { return folder }
        return String(match.1)
    }

    /// The saved runs in `RUN_ROOT/.logs`, oldest first.
    package static func saved(runRoot: String) -> [String] {
        let root = folder(runRoot: runRoot)
        guard RunLogs.isOwnFolder(root) else { return [] }
        return savedRuns(in: root).map(\.path)
    }

    /// The most recent run whose logs are still there: a saved run in `RUN_ROOT/.logs` or a
    /// run directory kept on purpose (`--keep`, a failed start), whichever was kept last.
    package static func latest(runRoot: String) -> String? {
        latest(runRoots: [runRoot])
    }

    /// The newest kept logs folder under any of `runRoots` (see ``latest(runRoot:)``).
    package static func latest(runRoots: [String]) -> String? {
        runRoots.flatMap { candidates(runRoot: $0) }.max { $0.time < $1.time }?.path
    }

    private static func candidates(runRoot: String) -> [(path: String, time: Double)] {
        var candidates = RunLogs.isOwnFolder(folder(runRoot: runRoot)) ? savedRuns(in: folder(runRoot: runRoot)) : []
        for entry in RunLogs.folders(in: runRoot) {
            let path = runRoot + "/" + entry
            if let time = keptTime(path) { candidates.append((path, time)) }
        }
        return candidates
    }

    /// Folders in `root` with a `kept` file, oldest first (by the `kept` file's time).
    private static func savedRuns(in root: String) -> [(path: String, time: Double)] {
        RunLogs.folders(in: root).compactMap { entry in
            keptTime(root + "/" + entry).map { (root + "/" + entry, $0) }
        }.sorted { ($0.time, $0.path) < ($1.time, $1.path) }
    }

    /// When `folder/kept` was written, if it is a regular file.
    private static func keptTime(_ folder: String) -> Double? {
        var info = stat()
        guard lstat(folder + "/kept", &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
    }

    /// Creates `root/NAME-YYYYMMDD-HHMMSS-PID[-N]`, 0700.
    private static func makeRunFolder(in root: String, name: String) throws(PathTrustError) -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        let stamp = String(format: "%04d%02d%02d-%02d%02d%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                           parts.tm_hour, parts.tm_min, parts.tm_sec)
        let base = "\(root)/\(name)-\(stamp)-\(getpid())"
        for attempt in 0..<100 {
            let path = attempt == 0 ? base : "\(base)-\(attempt)"
            if mkdir(path, 0o700) == 0 { return path }
            guard errno == EEXIST else { break }
        }
        throw PathTrustError(.system, path: base, "cannot create \(base): \(String(cString: strerror(errno)))",
                             hint: "check the free space and permissions of \(root)")
    }

    /// Copies a regular file (never a link or a FIFO) to a new file `0600`.
    private static func copy(_ source: String, to destination: String) {
        guard let data = RunLogs.read(source) else { return }
        let fd = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}
