import Inventory
import TestbedTesting
import XCTest

final class StockStoreXCTests: XCTestCase {
    static let testbed = TestbedXCTest(manifest: "environments/inventory.yml")

    override func setUp() async throws { try await Self.testbed.start() }
    override func tearDown() async throws { await Self.testbed.checkinDatabases() }
    override class func tearDown() { testbed.stopAndWait(); super.tearDown() }

    func testPearsAreSeeded() async throws {
        let database = try await Self.testbed.database("db")      // dropped in tearDown
        let db = try database.postgres
        XCTAssertEqual(db.database, database.name)
        XCTAssertNotNil(db.unixSocketPath)
    }
}
