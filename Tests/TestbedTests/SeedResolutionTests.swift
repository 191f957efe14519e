import Foundation
import Testing
@testable import Testbed

/// The cache keys and the run-size estimate read the fixture files the run seeds from: a
/// `${VAR}` in a fixture path is read as the plan reads it.
@Suite struct SeedResolutionTests {
    static let manifest = """
        name: seed-variables
        services:
          notes:
            sqlite: {}
            seed:
              - sql: ${FIXTURES}/schema.sql
        """

    /// An environment of the manifest in `stack` whose caller sets `FIXTURES` to `fixtures`.
    static func environment(_ stack: APIStack, fixtures: String) throws -> Environment {
        var variables = ProcessInfo.processInfo.environment
        variables["FIXTURES"] = fixtures
        return try Environment(path: stack.folder + "/stack.yml",
                               options: Environment.Options(environment: variables, runRoot: stack.folder + "/runs",
                                                            cacheRoot: stack.folder + "/cache"))
    }

    @Test func aFixturePathWithAVariableKeysTheFileItNames() throws {
        let stack = try APIStack(Self.manifest, files: [:])
        defer { stack.cleanUp() }
        let fixtures = stack.folder + "/fixtures"
        try FileManager.default.createDirectory(atPath: fixtures, withIntermediateDirectories: true)
        try "CREATE TABLE notes (id integer);\n".write(toFile: fixtures + "/schema.sql", atomically: true, encoding: .utf8)
        let key = try #require(try Self.environment(stack, fixtures: fixtures).cacheKeys().first?.key)

        try "CREATE TABLE notes (id integer, body text);\n".write(toFile: fixtures + "/schema.sql", atomically: true, encoding: .utf8)
        let changed = try #require(try Self.environment(stack, fixtures: fixtures).cacheKeys().first?.key)
        #expect(changed != key)
    }

    @Test func theSizeEstimateCountsTheFixtureAVariableNames() throws {
        let stack = try APIStack(Self.manifest, files: [:])
        defer { stack.cleanUp() }
        let small = stack.folder + "/small", large = stack.folder + "/large"
        for folder in [small, large] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        try "CREATE TABLE notes (id integer);\n".write(toFile: small + "/schema.sql", atomically: true, encoding: .utf8)
        let rows = String(repeating: "INSERT INTO notes VALUES (1);\n", count: 150_000)  // about 4.5 MB
        try ("CREATE TABLE notes (id integer);\n" + rows).write(toFile: large + "/schema.sql", atomically: true, encoding: .utf8)

        let smallSize = try Self.environment(stack, fixtures: small).runSize()
        let largeSize = try Self.environment(stack, fixtures: large).runSize()
        #expect(!largeSize.isKnown)
        // A cold SQLite database counts its fixture files twice.
        #expect(largeSize.bytes >= smallSize.bytes + 2 * UInt64(rows.utf8.count))
    }
}
