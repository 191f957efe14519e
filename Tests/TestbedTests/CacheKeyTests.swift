import Foundation
import Testing
@testable import Testbed
@testable import TestbedDrivers

/// `Environment.cacheKeys()` and `testbed cache key` name the very files runs write into
/// the cache, and change when a fixture byte changes.
@Suite(.serialized) struct CacheKeyTests {
    static let users = "id,name\n1,ada\n2,grace\n"
    static let schema = "CREATE TABLE users (id integer PRIMARY KEY, name text NOT NULL);\n"

    static func postgresStack() throws -> APIStack {
        try APIStack("""
            name: keys-pg
            services:
              db:
                postgres:
                  database: shop
                seed:
                  - sql: schema.sql
                  - csv: users.csv
                    table: users
            """, files: ["schema.sql": schema, "users.csv": users])
    }

    static func sqliteStack() throws -> APIStack {
        try APIStack("""
            name: keys-sqlite
            services:
              notes:
                sqlite: {}
                seed:
                  - sql: schema.sql
                  - csv: users.csv
                    table: users
            """, files: ["schema.sql": schema, "users.csv": users])
    }

    /// Starts and stops the stack's environment once (a cold run writes its snapshot).
    static func runOnce(_ stack: APIStack) async throws {
        let environment = try stack.environment()
        do {
            try await environment.start()
        } catch {
            await environment.stop()
            throw error
        }
        await environment.stop()
    }

    /// The snapshot files in `cache/folder` whose names end with `suffix`.
    static func files(_ stack: APIStack, _ folder: String, suffix: String) -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: stack.folder + "/cache/" + folder)) ?? []
        return Set(names.filter { $0.hasSuffix(suffix) && !$0.hasPrefix(".") && !$0.hasPrefix("base-") })
    }

    /// Changes one byte of the CSV fixture (`grace` → `gracf`).
    static func changeOneByte(_ stack: APIStack) throws {
        try users.replacingOccurrences(of: "grace", with: "gracf")
            .write(toFile: stack.folder + "/users.csv", atomically: true, encoding: .utf8)
    }

    @Test func postgresKeyIsTheFileARunWritesAndFollowsAFixtureByte() async throws {
        let stack = try Self.postgresStack()
        defer { stack.cleanUp() }
        let keys = try stack.environment().cacheKeys()
        #expect(keys.map(\.service) == ["db"])
        let key = try #require(keys.first?.key)
        #expect(key.hasPrefix("seeded-"))
        #expect(keys.first?.file == "postgres/\(key).pack")

        try await Self.runOnce(stack)
        #expect(Self.files(stack, "postgres", suffix: ".pack") == [key + ".pack"])

        try Self.changeOneByte(stack)
        let changed = try #require(try stack.environment().cacheKeys().first?.key)
        #expect(changed != key)
        try await Self.runOnce(stack)
        #expect(Self.files(stack, "postgres", suffix: ".pack") == [key + ".pack", changed + ".pack"])
    }

    @Test func sqliteKeyIsTheFileARunWritesAndFollowsAFixtureByte() async throws {
        let stack = try Self.sqliteStack()
        defer { stack.cleanUp() }
        let keys = try stack.environment().cacheKeys()
        let key = try #require(keys.first?.key)
        #expect(keys.first?.kind == .sqlite)
        #expect(keys.first?.file == "sqlite/\(key).sqlite")

        try await Self.runOnce(stack)
        #expect(Self.files(stack, "sqlite", suffix: ".sqlite") == [key + ".sqlite"])

        try Self.changeOneByte(stack)
        let changed = try #require(try stack.environment().cacheKeys().first?.key)
        #expect(changed != key)
        try await Self.runOnce(stack)
        #expect(Self.files(stack, "sqlite", suffix: ".sqlite") == [key + ".sqlite", changed + ".sqlite"])
    }

    @Test func aSeedCommandThatIsNotCacheableHasNoKey() throws {
        let stack = try APIStack("""
            name: keys-command
            services:
              notes:
                sqlite: {}
                seed:
                  - command: [sqlite3, "${notes.path}", "CREATE TABLE t (x int)"]
            """, files: [:])
        defer { stack.cleanUp() }
        let keys = try stack.environment().cacheKeys()
        #expect(keys.count == 1)
        #expect(keys.first?.key == nil)
        #expect(keys.first?.file == nil)
        #expect(keys.first?.reason?.contains("not cacheable") == true)
    }

    @Test func aMissingFixtureIsAnErrorNamingIt() throws {
        let stack = try APIStack("""
            name: keys-missing
            services:
              notes:
                sqlite: {}
                seed:
                  - sql: missing.sql
            """, files: [:])
        defer { stack.cleanUp() }
        #expect {
            try stack.environment().cacheKeys()
        } throws: { error in
            "\(error)".contains("missing.sql")
        }
    }

    @Test func theCommandPrintsTheLibrarysKeys() async throws {
        let stack = try Self.sqliteStack()
        defer { stack.cleanUp() }
        let keys = try stack.environment().cacheKeys()
        let key = try #require(keys.first?.key)

        let text = try await CLI.run(["cache", "key", stack.folder + "/stack.yml"])
        #expect(text.status == 0)
        #expect(text.stdout == "notes  sqlite    \(key)\n")

        let json = try await CLI.run(["cache", "key", "--json", stack.folder + "/stack.yml"])
        #expect(json.status == 0)
        #expect(try JSONDecoder().decode([CacheKey].self, from: Data(json.stdout.utf8)) == keys)

        let missing = try await CLI.run(["cache", "key", stack.folder + "/nothing.yml"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("nothing.yml"))
    }
}
