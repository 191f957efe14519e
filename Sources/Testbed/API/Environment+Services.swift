import Foundation
import TestbedSystem
import TestbedDrivers

extension Environment {
    /// Builds an environment from manifest text, e.g. one written inline in a test.
    ///
    /// Relative paths in the manifest (fixtures, commands) resolve against `directory`.
    /// Throws `ManifestError` (its locations name `<directory>/<name>.yml`, a file that
    /// need not exist).
    public init(yaml: String, directory: String, name: String = "inline", options: Options = Options()) throws {
        let absolute = URL(fileURLWithPath: directory).standardizedFileURL.path
        let manifest = try ManifestLoader.parse(yaml: yaml, path: absolute + "/\(name).yml", directory: absolute)
        self.init(manifest: manifest, options: options)
    }

    /// The values of `service` with typed getters (`try environment.service("db").url`).
    ///
    /// A manifest link's name gives the link's values (`try environment.service("app-db").url`).
    /// Throws ``ServiceValueError`` when the manifest has no such service or the
    /// environment has not been started yet.
    public func service(_ name: String) throws(ServiceValueError) -> ServiceValues {
        guard manifest.service(named: name) != nil || manifest.links.contains(where: { $0.name == name }) else {
            throw ServiceValueError(service: name, key: "", reason: .unknownService,
                                    available: manifest.services.map(\.name))
        }
        guard let values = values[name] else {
            throw ServiceValueError(service: name, key: "", reason: .notStarted, available: [])
        }
        return ServiceValues(service: name, values: values)
    }

    /// The exported variable `name` (a manifest export, `TESTBED_RUN_DIR` or `TESTBED_ENV_NAME`).
    ///
    /// Throws ``ServiceValueError`` (service `exports`) naming the variables that exist.
    public func export(_ name: String) throws(ServiceValueError) -> String {
        guard let value = exports[name] else {
            throw ServiceValueError(service: "exports", key: name, reason: exports.isEmpty ? .notStarted : .missing,
                                    available: exports.keys.sorted())
        }
        return value
    }

    /// The exported variable `name` read as a PostgreSQL URL (e.g. `DATABASE_URL: ${db.url}`),
    /// as typed values. Throws ``ServiceValueError`` or ``PostgresURLError``.
    public func postgresExport(_ name: String) throws -> PostgresConnectionInfo {
        try PostgresConnectionInfo(url: try export(name))
    }

    /// What `testbed gc` does, from Swift: stops what dead runs left under `root` (default:
    /// the run roots of this user, `TESTBED_RUN_ROOT`, or `/dev/shm/testbed-<uid>` and the
    /// disk root `/var/tmp/testbed-<uid>` runs too large for memory go to) and removes their
    /// run directories — also those kept on purpose unless `includingKept` is false — and,
    /// as root, unmounts the reflink image no run holds (`LoopImage`). Live runs are never touched. Throws `PathTrustError` for a root this account does not own.
    @discardableResult
    public static func collectGarbage(root: String? = nil, includingKept: Bool = true) throws(PathTrustError) -> Collector.Report {
        let roots = root.map { [$0] } ?? RunDirectory.roots(environment: ProcessInfo.processInfo.environment)
        var report = try Collector(root: roots[0]).collect(includingKept: includingKept)
        for other in roots.dropFirst() {
            let more = try Collector(root: other).collect(includingKept: includingKept)
            report.removedRuns += more.removedRuns
            report.stoppedGroups += more.stoppedGroups
            report.removedSegments += more.removedSegments
            report.keptRuns += more.keptRuns
            report.clearedUserIDs += more.clearedUserIDs
            report.cleanupCommands += more.cleanupCommands
        }
        // What lives outside run directories (containers, by their labels) of runs not live.
        let environment = ProcessInfo.processInfo.environment
        for kind in ServiceKinds.all {
            report.cleanupCommands += kind.sweep(environment: environment, isLive: Collector.isLiveRun)
        }
        // The reflink image goes too when no run holds it (made again by the next run that needs it).
        if let image = LoopImage.forCollection(environment: ProcessInfo.processInfo.environment), let removed = image.tearDownIfUnused() {
            report.removedImages.append(removed)
        }
        return report
    }

    /// The PostgreSQL cluster behind a `postgres` service, for per-test databases
    /// (`PostgresCluster.cloneDatabase(named:from:)`); nil for other services.
    public func postgresCluster(for service: String) -> PostgresCluster? {
        if case .postgres(let cluster) = databases[service]?.storage { return cluster }
        return nil
    }

    /// The SQLite store behind an `sqlite` service, for per-test copies
    /// (``SQLiteStore/copy(to:)``); nil for other services.
    package func sqliteStore(for service: String) -> SQLiteStore? {
        if case .sqlite(let store) = databases[service]?.storage { return store }
        return nil
    }
}
