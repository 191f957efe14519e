import Foundation
import Testing
import TestbedTesting

/// The library API without the trait, and module-qualified names (`Testbed.Environment`),
/// which a Vapor user needs because Vapor has an `Environment` of its own.
struct LibraryAPITests {
    static let manifest = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
        + "/environments/inventory.yml"

    @Test func startsAndStopsAnEnvironmentByHand() async throws {
        let environment = try Testbed.Environment(path: Self.manifest)
        try await environment.start()
        do {
            let db = try await environment.service("db").postgres       // PostgresConnectionInfo
            let pool = try await DatabasePool(environment: environment, service: "db", options: .init(size: 2))
            let database = try await pool.checkout()                     // a fresh clone
            #expect(try database.postgres.replacingDatabase(with: db.database) == db)
            try await pool.checkin(database)                             // dropped in the background
            await pool.shutdown()                                        // drops what is left
        } catch {
            await environment.stop()
            throw error
        }
        await environment.stop()
    }

    @Test func aMissingManifestNamesEveryPathTried() async throws {
        let error = await #expect(throws: TestbedScopeError.self) {
            try await Self.runSuite(.testbed("environments/missing.yml"))
        }
        let text = error?.description ?? ""
        #expect(text.contains("/environments/missing.yml, "))
        #expect(text.contains("/Tests/InventoryTests/environments/missing.yml"))
    }

    /// Runs the trait's suite scope around nothing, as Swift Testing would around a suite.
    static func runSuite(_ trait: TestbedTrait) async throws {
        try await trait.provideScope(for: Test.current!, testCase: nil) {}
    }
}
