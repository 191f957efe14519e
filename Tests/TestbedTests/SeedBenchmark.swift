import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel
@testable import TestbedSeed
@testable import TestbedDrivers

/// Seeding throughput into PostgreSQL through COPY: 100,000 CSV rows (a figure for
/// docs/benchmarks.md, printed, never asserted). Run with:
/// `TESTBED_BENCH=1 swift test -c release --filter SeedBenchmark`
@Suite(.enabled(if: ProcessInfo.processInfo.environment["TESTBED_BENCH"] != nil, "an opt-in benchmark: set TESTBED_BENCH=1"))
struct SeedBenchmark {
    @Test func postgresCopyOf100kCSVRows() async throws {
        let run = try PostgresTestRun()
        let csv = run.root + "/events.csv"
        var text = "id,user_id,kind,payload,created_at\n"
        for i in 1...100_000 {
            text += "\(i),\(i % 977),\(["click", "view", "buy"][i % 3]),\"{\"\"n\"\": \(i)}\",2024-01-01 00:00:\(String(format: "%02d", i % 60))\n"
        }
        try text.write(toFile: csv, atomically: true, encoding: .utf8)
        let cluster = try PostgresCluster(try run.options())
        _ = try await cluster.start()
        defer { Task { await cluster.stop() } }
        let values = cluster.values
        let connect: (String) throws(PostgresError) -> PGConnection = { database throws(PostgresError) in
            try PGConnection(socketDirectory: values["socket"]!, port: Int(values["port"]!)!, user: values["user"]!, database: database)
        }
        var medians: [Double] = []
        for round in 0..<5 {
            let connection = try connect("app")
            try connection.execute("DROP TABLE IF EXISTS events; CREATE TABLE events (id integer PRIMARY KEY, user_id integer, kind text, payload jsonb, created_at timestamp)")
            connection.close()
            let step = PlannedSeedStep(step: SeedStep(source: .csv(path: "events.csv", table: "events", options: CSVOptions()),
                                                       location: PostgresTestRun.here), absolutePaths: [csv])
            let seeder = PostgresSeeder(serviceName: "db", defaultDatabase: "app", connect: connect,
                                        commandEnvironment: { _ in [:] }, logDirectory: run.root)
            let clock = ContinuousClock(), began = clock.now
            try await seeder.apply([step])
            let seconds = Double((clock.now - began).milliseconds) / 1000
            if round > 0 { medians.append(100_000 / seconds) }
        }
        medians.sort()
        print("postgres COPY of 100,000 CSV rows: median \(Int(medians[medians.count / 2])) rows/s (best \(Int(medians.last!)))")
    }
}
