import GRDB
import Testing
import TestbedTesting

@Suite(.testbed("environments/recipes.yml"))
struct GRDBRecipeTests {
    @Test func grdbReadsACopyOfTheSeededFile() async throws {
        let path = try await TestbedContext.database("notes").path!   // a copy for this test only
        let queue = try DatabaseQueue(path: path)
        let skus = try await queue.read { db in try String.fetchAll(db, sql: "SELECT sku FROM stock ORDER BY sku") }
        #expect(skus == ["apple", "pear", "plum"])
    }
}
