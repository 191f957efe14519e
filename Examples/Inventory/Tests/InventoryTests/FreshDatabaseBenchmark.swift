import Foundation
import Inventory
import Testing
import TestbedTesting

/// The per-test cost of a fresh database, 64 test cases running in parallel: from the test's
/// start to a first query answered on a clone of its own (checkout, a postgres-nio client,
/// the query), then the drop at the test's end. Prints one line per case; run with
/// `scripts/bench-fresh-database.sh`. Skipped unless TESTBED_BENCH=1.
@Suite(.testbed("environments/inventory.yml"), .enabled(if: ProcessInfo.processInfo.environment["TESTBED_BENCH"] == "1"))
struct FreshDatabaseBenchmark {
    @Test(arguments: 0..<64)
    func freshDatabase(case number: Int) async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let quantity = try await withClient { client in try await StockStore(client: client).quantity(of: "apple") }
        let elapsed = clock.now - start
        #expect(quantity == 10)
        let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        print("bench fresh-database case \(number): \(String(format: "%.1f", ms)) ms")
    }
}
