import Foundation
import Testing
@testable import Testbed

/// The typed values API, inline manifests, and per-test database URLs.
@Suite struct SwiftAPITests {
    @Test func typedGettersReturnValuesAndNameTheServiceAndKeyWhenMissing() throws {
        let values = ServiceValues(service: "db", values: ["url": "postgresql://u@/shop", "port": "5433", "host": "x"])
        #expect(try values.url == "postgresql://u@/shop")
        #expect(try values.port == 5433)
        let missing = #expect(throws: ServiceValueError.self) { try values.path }
        #expect(missing?.description == "service 'db' has no value 'path' (values: host, port, url)")
        let bad = ServiceValues(service: "api", values: ["ports.http": "eighty"])
        let notANumber = #expect(throws: ServiceValueError.self) { try bad.port("http") }
        #expect(notANumber?.reason == .notANumber("eighty"))
    }

    @Test func socketURLKeepsItsHostAndPortParameters() {
        let url = "postgresql://postgres@/shop?host=/dev/shm/run%20x/db&port=5432"
        #expect(TestDatabase.postgresURL(url, replacingDatabaseWith: "shop_t1_abc123")
                == "postgresql://postgres@/shop_t1_abc123?host=/dev/shm/run%20x/db&port=5432")
    }

    @Test func tcpURLKeepsItsCredentialsAndPort() {
        let url = "postgresql://app:s%40cret@127.0.0.1:54321/shop"
        #expect(TestDatabase.postgresURL(url, replacingDatabaseWith: "shop t2") == "postgresql://app:s%40cret@127.0.0.1:54321/shop%20t2")
        #expect(TestDatabase.postgresURL("postgresql://u@h?sslmode=disable", replacingDatabaseWith: "d")
                == "postgresql://u@h/d?sslmode=disable")
    }

    @Test func inlineManifestStartsAndExposesTypedValuesAndExports() async throws {
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try SwiftAPIStacks.seedSQL.write(toFile: folder + "/seed.sql", atomically: true, encoding: .utf8)
        let environment = try Environment(yaml: """
            name: inline
            services:
              notes:
                sqlite: {}
                seed: [{sql: seed.sql}]
            exports:
              NOTES_DB: ${notes.path}
            """, directory: folder, options: Environment.Options(runRoot: folder + "/runs", cacheRoot: folder + "/cache"))
        await #expect(throws: ServiceValueError.self) { try await environment.service("notes") }
        try await environment.start()
        do {
            let notes = try await environment.service("notes")
            #expect(try notes.url == "sqlite:///" + notes.path)
            #expect(try await environment.export("NOTES_DB") == notes.path)
            let unknown = await #expect(throws: ServiceValueError.self) { try await environment.service("nope") }
            #expect(unknown?.reason == .unknownService)
            await #expect(throws: ServiceValueError.self) { try await environment.export("NOPE") }
        } catch {
            await environment.stop()
            throw error
        }
        await environment.stop()
    }
}
