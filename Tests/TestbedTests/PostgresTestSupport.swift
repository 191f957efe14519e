import Foundation
import Synchronization
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedModel
@testable import TestbedSeed
@testable import TestbedDrivers

/// A private run directory and cache for one test, with the events the driver reported.
final class PostgresTestRun: Sendable {
    let root: String
    let cacheRoot: String
    private let events = ClusterEventLog()

    /// A fresh folder under `parent` (default `/dev/shm`), holding the cache unless `cacheRoot` is given.
    init(cacheRoot: String? = nil, under parent: String = "/dev/shm") throws {
        root = parent + "/testbed-pgtest-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        self.cacheRoot = cacheRoot ?? root + "/cache"
    }

    /// A fresh service directory and the options for a cluster in it.
    func options(_ name: String = "db", spec: PostgresSpec = PostgresSpec(), seed: [PlannedSeedStep] = [],
                 port: Int? = nil) throws -> PostgresCluster.Options {
        let directory = root + "/" + name
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return PostgresCluster.Options(
            serviceName: name, spec: spec, seed: seed, serviceDirectory: directory, port: port,
            environment: ProcessInfo.processInfo.environment, cacheRoot: cacheRoot,
            report: { [events] phase, detail in events.append(phase, detail) })
    }

    func details(_ phase: Event.Phase) -> [String] {
        events.entries.withLock { $0.filter { $0.phase == phase }.map { $0.detail ?? "" } }
    }

    func clearEvents() { events.entries.withLock { $0 = [] } }

    deinit { ClusterFiles.remove(root) }

    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/postgres/\(name)").path
    }

    static func sql(_ name: String, database: String? = nil, path: String? = nil) -> PlannedSeedStep {
        let file = path ?? fixture(name)
        return PlannedSeedStep(step: SeedStep(source: .sql(path: name), database: database, location: here),
                                absolutePaths: [file])
    }

    static func csv(_ name: String, table: String, options: CSVOptions) -> PlannedSeedStep {
        PlannedSeedStep(step: SeedStep(source: .csv(path: name, table: table, options: options), location: here),
                         absolutePaths: [fixture(name)])
    }

    static func json(_ name: String, table: String?) -> PlannedSeedStep {
        PlannedSeedStep(step: SeedStep(source: .json(path: name, table: table), location: here),
                         absolutePaths: [fixture(name)])
    }

    static let here = SourceLocation(file: "test.yml", line: 1, column: 1)
}

/// The phases a cluster reported, in order.
final class ClusterEventLog: Sendable {
    let entries = Mutex<[(phase: Event.Phase, detail: String?)]>([])
    func append(_ phase: Event.Phase, _ detail: String?) { entries.withLock { $0.append((phase, detail)) } }
}

extension PostgresCluster {
    /// Connects to `database` (default: the first) the way a test's code would, by URL.
    func connection(_ database: String? = nil) throws -> PGConnection {
        let values = self.values
        return try PGConnection(conninfo: database.flatMap { values["databases.\($0).url"] } ?? values["url"]!)
    }

    func count(_ table: String, database: String? = nil) throws -> Int {
        let connection = try connection(database)
        defer { connection.close() }
        return Int(try connection.query("SELECT count(*) FROM \(table)")[0][0]!)!
    }
}

extension PostgresTestRun {
    /// Starts a cluster, runs `body`, and stops it whatever happens.
    func withCluster<T>(_ options: PostgresCluster.Options,
                        _ body: (PostgresCluster, ServiceProcess) async throws -> T) async throws -> T {
        let cluster = try PostgresCluster(options)
        let process = try await cluster.start()
        do {
            let result = try await body(cluster, process)
            await cluster.stop()
            return result
        } catch {
            await cluster.stop()
            throw error
        }
    }

    /// Copies fixtures into the run directory so a test can edit them.
    func copyFixtures(_ names: [String]) throws -> String {
        let folder = root + "/fixtures"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in names { try FileManager.default.copyItem(atPath: Self.fixture(name), toPath: folder + "/" + name) }
        return folder
    }
}
