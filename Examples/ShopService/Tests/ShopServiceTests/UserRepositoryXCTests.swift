import ShopService
import TestbedTesting
import XCTest

/// The same environment from XCTest: started in the first setUp, stopped after the class.
final class UserRepositoryXCTests: XCTestCase {
    static let testbed = TestbedXCTest(manifest: "environments/shop.yml")

    override func setUp() async throws {
        try await Self.testbed.start()
    }

    override func tearDown() async throws {
        await Self.testbed.checkinDatabases()
    }

    override class func tearDown() {
        testbed.stopAndWait()
        super.tearDown()
    }

    func testAddedUserIsFound() async throws {
        let repository = UserRepository(databaseURL: try await Self.testbed.database("db").url)
        try repository.add(email: "xc@example.com", name: "XC")
        XCTAssertEqual(try repository.user(email: "xc@example.com")?.name, "XC")
    }
}
