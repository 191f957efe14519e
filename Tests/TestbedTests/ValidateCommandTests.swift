import Foundation
import Testing
@testable import Testbed

/// `testbed validate` says what a manifest holds in the user's words: presets by name,
/// links with what they front, and no empty lists.
@Suite struct ValidateCommandTests {
    @Test func validateListsPresetsAndLinksAsTheyAre() async throws {
        let stack = try TestStack("""
            services:
              db:
                sqlite: {}
              cache:
                redis: {}
              app:
                command: [sleep, "600"]
            links:
              cache-link: {to: cache.ports.redis}
            """)
        defer { stack.cleanUp() }
        let result = try await CLI.run(["validate", stack.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("3 services: db (sqlite), cache (redis preset), app (process); 1 link: cache-link → cache"),
                "\(result.stdout)")
    }

    @Test func validateOfOnlyLinksListsTheLinksAndNoEmptyServiceList() async throws {
        let stack = try TestStack("""
            services: {}
            links:
              payments:
                to: https://api.example.com
                http: {mode: passthrough}
            """)
        defer { stack.cleanUp() }
        let result = try await CLI.run(["validate", stack.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("0 services; 1 link: payments → an external URL (http)"), "\(result.stdout)")
        #expect(!result.stdout.contains("services:"), "\(result.stdout)")
    }
}
