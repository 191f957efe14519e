import Inventory
import Testing
import TestbedTesting

@Suite(.testbed("environments/inventory.yml"))
struct StockStoreTests {
    @Test func receivingAddsToTheSeededStock() async throws {
        try await withClient { client in
            let store = StockStore(client: client)
            let before = try await store.quantity(of: "apple")
            let after = try await store.receive(5, of: "apple")
            #expect(before == 10 && after == 15)
        }
    }

    @Test func aNewSKUStartsFromZero() async throws {
        try await withClient { client in
            let store = StockStore(client: client)
            try await store.receive(3, of: "quince")
            #expect(try await store.skus() == ["apple", "pear", "plum", "quince"])
        }
    }

    // Each argument is a test case of its own, with a database of its own.
    @Test(arguments: ["apple", "pear", "plum"])
    func everyCaseSeesTheSeedUnchanged(sku: String) async throws {
        try await withClient { client in
            let store = StockStore(client: client)
            let seeded = ["apple": 10, "pear": 4, "plum": 0][sku]!
            #expect(try await store.quantity(of: sku) == seeded)
            try await store.receive(100, of: sku)
        }
    }

    @Test func theServiceAndTheExportGiveTheSameValues() async throws {
        let environment = try TestbedContext.current
        let db = try await TestbedContext.service("db").postgres       // the seeded database itself
        let exported = try await environment.postgresExport("DATABASE_URL")
        #expect(exported == db)
        #expect(db.database == "inventory")
        #expect(db.unixSocketPath?.hasSuffix("/.s.PGSQL.\(db.port)") == true)
    }
}
