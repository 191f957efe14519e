import Inventory
import Synchronization
import Testing
import TestbedTesting

/// Shows that a suite with the trait runs its tests in parallel (plain `swift test`): the two
/// tests below each wait, holding a database of their own, until the other one has arrived.
/// Run one at a time, the first would wait in vain and fail.
@Suite(.testbed("environments/inventory.yml"))
struct ParallelTests {
    static let arrived = Mutex<Set<String>>([])

    /// Records `name`, then waits (up to a minute) for `other`.
    static func meet(_ name: String, _ other: String) async throws -> Bool {
        arrived.withLock { _ = $0.insert(name) }
        for _ in 0..<600 {
            if arrived.withLock({ $0.contains(other) }) { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test func left() async throws {
        try await withClient { client in
            try await StockStore(client: client).receive(1, of: "left")
            #expect(try await Self.meet("left", "right"), "the other test never ran at the same time")
            #expect(try await StockStore(client: client).skus().contains("right") == false)
        }
    }

    @Test func right() async throws {
        try await withClient { client in
            try await StockStore(client: client).receive(1, of: "right")
            #expect(try await Self.meet("right", "left"), "the other test never ran at the same time")
            #expect(try await StockStore(client: client).skus().contains("left") == false)
        }
    }
}
