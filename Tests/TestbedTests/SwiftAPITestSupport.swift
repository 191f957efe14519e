import Foundation
import Testing
@testable import Testbed
@testable import TestbedDrivers

/// Manifests for the Swift API tests: one postgres or sqlite service seeded with three
/// `items` rows tagged `seed-1`…`seed-3`.
enum SwiftAPIStacks {
    static let seedSQL = """
        CREATE TABLE items (id integer PRIMARY KEY, tag text NOT NULL);
        INSERT INTO items (id, tag) VALUES (1, 'seed-1'), (2, 'seed-2'), (3, 'seed-3');
        """

    static func postgres(tcp: Bool = false) throws -> APIStack {
        try APIStack("""
            name: pool-pg
            services:
              db:
                postgres:
                  database: shop
                  tcp: \(tcp)
                seed:
                  - sql: seed.sql
            exports:
              DATABASE_URL: ${db.url}
            """, files: ["seed.sql": seedSQL])
    }

    static func sqlite() throws -> APIStack {
        try APIStack("""
            name: pool-sqlite
            services:
              db:
                sqlite: {}
                seed:
                  - sql: seed.sql
            """, files: ["seed.sql": seedSQL])
    }

    /// Starts `stack`, runs `body`, and stops the environment whatever happens.
    static func withStarted<T>(_ stack: APIStack, _ body: (Environment) async throws -> T) async throws -> T {
        let environment = try stack.environment()
        defer { stack.cleanUp() }
        do {
            try await environment.start()
            let result = try await body(environment)
            await environment.stop()
            return result
        } catch {
            await environment.stop()
            throw error
        }
    }
}

/// A manifest in a short folder under /dev/shm (a PostgreSQL socket path must stay under
/// 108 bytes), readable by the `postgres` user, with a private run root and cache.
struct APIStack {
    let folder: String

    init(_ yaml: String, files: [String: String]) throws {
        folder = "/dev/shm/tbapi-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        try yaml.write(toFile: folder + "/stack.yml", atomically: true, encoding: .utf8)
        for (name, contents) in files { try contents.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8) }
    }

    func environment() throws -> Environment {
        try Environment(path: folder + "/stack.yml",
                        options: Environment.Options(runRoot: folder + "/runs", cacheRoot: folder + "/cache"))
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: folder) }
}

/// Runs SQL against a test database by URL (postgres) or path (sqlite).
enum TestSQL {
    static func rows(_ database: TestDatabase, _ sql: String) throws -> [[String]] {
        switch database.kind {
        case .postgres:
            let connection = try PGConnection(conninfo: database.url)
            defer { connection.close() }
            return try connection.query(sql).map { $0.map { $0 ?? "" } }
        case .sqlite:
            let connection = try SQLiteDatabase(path: database.path!)
            defer { connection.close() }
            return try connection.query(sql).map { $0.map { $0.stringValue ?? "" } }
        }
    }

    static func execute(_ database: TestDatabase, _ sql: String) throws {
        _ = try rows(database, sql)
    }

    static func tags(_ database: TestDatabase) throws -> [String] {
        try rows(database, "SELECT tag FROM items ORDER BY id").map { $0[0] }
    }
}
