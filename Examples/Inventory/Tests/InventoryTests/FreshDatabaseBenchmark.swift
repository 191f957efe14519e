import Foundation
import Inventory
import PostgresNIO
import Testing
import TestbedTesting

/// The per-test cost of a fresh database with 8 tests in parallel: 8 test cases (run
/// concurrently by Swift Testing) each go through 10 "tests" in a row — check a clone out,
/// connect postgres-nio, run one query, drop the clone — and print the time of each.
/// Run with `scripts/bench-fresh-database.sh`; skipped unless TESTBED_BENCH=1.
@Suite(.testbed("environments/inventory.yml"), .enabled(if: ProcessInfo.processInfo.environment["TESTBED_BENCH"] == "1"))
struct FreshDatabaseBenchmark {
    @Test(arguments: 0..<8)
    func freshDatabase(worker: Int) async throws {
        let pool = try await TestbedContext.pool("db")
        let clock = ContinuousClock()
        for round in 0..<10 {
            let start = clock.now
            let database = try await pool.checkout()
            let db = try database.postgres
            let client = PostgresClient(configuration: .init(unixSocketPath: db.unixSocketPath!, username: db.user,
                                                             password: db.password, database: db.database))
            let quantity = try await withThrowingTaskGroup(of: Void.self, returning: Int.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                return try await StockStore(client: client).quantity(of: "apple")
            }
            try await pool.checkin(database)
            let elapsed = clock.now - start
            #expect(quantity == 10)
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            print("bench fresh-database worker \(worker) round \(round): \(String(format: "%.1f", ms)) ms")
        }
    }
}
