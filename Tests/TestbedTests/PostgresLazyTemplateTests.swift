import Foundation
import Testing
@testable import Testbed
@testable import TestbedDrivers

/// A warm start holds the seeded data once: the templates stay in the cached pack and no
/// spare is made until a reset, a clone or ``PostgresCluster/prepareResets()`` needs them.
///
/// The time limit is a hang guard (see `hangGuard`), not a figure: under plain `swift test`
/// on a loaded 2-core machine, tests here were seen to take over two minutes.
@Suite("Postgres templates made on first need", .timeLimit(.minutes(5)))
struct PostgresLazyTemplateTests {
    typealias Run = PostgresTestRun
    static let seed = [Run.sql("schema.sql"), Run.sql("data.sql")]

    /// The template folder of the first database, in the cluster's data directory.
    static func templateFolder(_ options: PostgresCluster.Options) -> String {
        options.serviceDirectory + "/data/base/\(DeferredTemplates.oid(0))"
    }

    /// The row count of `table` in `database`, a database the spec may not list (a clone).
    static func count(_ table: String, in database: String, of cluster: PostgresCluster) throws -> Int {
        let connection = try PGConnection(conninfo: cluster.url(database: database, socketOnly: true))
        defer { connection.close() }
        return Int(try connection.query("SELECT count(*) FROM \(table)")[0][0]!)!
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// Fills the cache, so that the runs of a test start warm.
    static func warmCache(_ run: Run) async throws {
        _ = try await run.withCluster(run.options("cold", seed: seed)) { _, _ in 0 }
    }

    @Test func aWarmStartLeavesTheTemplateInThePackUntilTheFirstReset() async throws {
        let run = try Run()
        try await Self.warmCache(run)
        let options = try run.options("warm", seed: Self.seed)
        try await run.withCluster(options) { cluster, _ in
            #expect(run.details(.seeded).last == "seed cached")
            #expect(!Self.exists(Self.templateFolder(options)), "the template is not unpacked at the start")
            #expect(cluster.templates.isDeferred("app"))
            #expect(cluster.templates.deferredSize > 0)
            await cluster.spares.settle()
            #expect(!(await cluster.spares.isReady("app")), "no spare at the start")

            // The live database changes; the reset must still bring back the seeded state.
            try cluster.connection().execute("DELETE FROM orders; INSERT INTO users (email) VALUES ('x@example.com')")
            try await cluster.reset()
            #expect(try cluster.count("orders") == 3)
            #expect(try cluster.count("users") == 3)
            #expect(Self.exists(Self.templateFolder(options)), "the first reset wrote the template")
            #expect(!cluster.templates.isDeferred("app"))
            await cluster.spares.settle()
            #expect(await cluster.spares.isReady("app"), "and started the spare")
            try cluster.connection().execute("DELETE FROM orders")
            try await cluster.reset()
            #expect(try cluster.count("orders") == 3)
        }
    }

    @Test func aFirstCloneAfterChangesGetsTheSeededState() async throws {
        let run = try Run()
        try await Self.warmCache(run)
        let options = try run.options("warm", seed: Self.seed)
        try await run.withCluster(options) { cluster, _ in
            try cluster.connection().execute("DELETE FROM orders")
            try await cluster.cloneDatabase(named: "copy")
            #expect(try Self.count("orders", in: "copy", of: cluster) == 3, "the clone has the seeded rows, not the live ones")
            #expect(try cluster.count("orders") == 0, "the live database keeps its changes")
        }
    }

    @Test func aPoolOnAWarmStartHandsOutSeededDatabases() async throws {
        let run = try Run()
        try await Self.warmCache(run)
        let manifestOptions = try run.options("warm", seed: Self.seed)
        try await run.withCluster(manifestOptions) { cluster, _ in
            try cluster.connection().execute("DELETE FROM orders")
            #expect(cluster.templates.isDeferred("app"))
            let pool = try await DatabasePool(cluster: cluster, service: "db", options: .init(size: 2))
            for _ in 0..<3 {
                let database = try await pool.checkout()
                #expect(try Self.count("orders", in: database.name, of: cluster) == 3)
                try await pool.checkin(database)
            }
            await pool.shutdown()
        }
    }

    @Test func prepareResetsMakesTemplateAndSpareAhead() async throws {
        let run = try Run()
        try await Self.warmCache(run)
        let options = try run.options("warm", seed: Self.seed)
        try await run.withCluster(options) { cluster, _ in
            try await cluster.prepareResets()
            #expect(Self.exists(Self.templateFolder(options)))
            #expect(await cluster.spares.isReady("app"))
            try await cluster.prepareResets()  // a second call has nothing to do
            try cluster.connection().execute("DELETE FROM orders")
            try await cluster.reset()
            #expect(try cluster.count("orders") == 3)
        }
    }
}
