import ShopService
import Testing
import TestbedTesting

/// The repository against a real PostgreSQL: one environment for the suite, a fresh clone of
/// the seeded database for every test (dropped when the test ends), so tests run in parallel.
@Suite(.testbed("environments/shop.yml"))
struct UserRepositoryTests {
    /// A repository on a database of this test's own.
    func repository() async throws -> UserRepository {
        UserRepository(databaseURL: try await TestbedContext.database("db").url)
    }

    @Test func listsTheSeededUsers() async throws {
        let users = try await repository().all()
        #expect(users.map(\.email) == ["linus@example.com", "ada@example.com", "grace@example.com"])
    }

    @Test func addsAUserThatOnlyThisTestSees() async throws {
        let repository = try await repository()
        let id = try repository.add(email: "new@example.com", name: "O'Brien")
        #expect(try repository.user(email: "new@example.com") == User(id: id, email: "new@example.com", name: "O'Brien"))
        #expect(try repository.all().count == 4)
    }

    @Test func aTakenEmailIsRefused() async throws {
        let repository = try await repository()
        #expect(throws: ShopError.self) { try repository.add(email: "ada@example.com", name: "Ada again") }
    }

    @Test func summarizesOrders() async throws {
        let summary = try await repository().orderSummary(email: "linus@example.com")
        #expect(summary.count == 2)
        #expect(summary.total == "19.75")
    }

    @Test func theSharedDatabaseKeepsItsSeed() async throws {
        // The service's own database (not a clone), as another process would see it.
        let url = try await TestbedContext.service("db").url
        #expect(try UserRepository(databaseURL: url).all().count == 3)
    }
}
