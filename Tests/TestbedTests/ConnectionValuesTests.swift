import Foundation
import Testing
@testable import Testbed
@testable import TestbedDrivers

/// Typed connection values (``PostgresConnectionInfo``) for clients that take a socket path or
/// a host, port, user, password and database instead of a URL.
@Suite struct ConnectionValuesTests {
    @Test func aSocketURLGivesTheSocketFolderAndFile() throws {
        let connection = try PostgresConnectionInfo(url: "postgresql://postgres@/shop_t3_1a2b3c?host=/dev/shm/testbed-0/run%20x/db&port=54321")
        #expect(connection.host == nil)
        #expect(connection.socketDirectory == "/dev/shm/testbed-0/run x/db")
        #expect(connection.unixSocketPath == "/dev/shm/testbed-0/run x/db/.s.PGSQL.54321")
        #expect(connection.port == 54321)
        #expect(connection.user == "postgres")
        #expect(connection.password == nil)
        #expect(connection.database == "shop_t3_1a2b3c")
        #expect(try PostgresConnectionInfo(url: connection.url) == connection)
    }

    @Test func aTCPURLGivesHostPortAndPassword() throws {
        let connection = try PostgresConnectionInfo(url: "postgresql://app:p%40ss%3Aword@127.0.0.1:6543/shop")
        #expect(connection.host == "127.0.0.1")
        #expect(connection.socketDirectory == nil && connection.unixSocketPath == nil)
        #expect(connection.port == 6543)
        #expect(connection.user == "app")
        #expect(connection.password == "p@ss:word")
        #expect(connection.database == "shop")
        #expect(try PostgresConnectionInfo(url: connection.url) == connection)
        #expect(!connection.description.contains("word"))
    }

    @Test func anUnreadableURLNamesTheProblemWithoutThePassword() {
        let error = #expect(throws: PostgresURLError.self) {
            try PostgresConnectionInfo(url: "postgresql://app:secret@127.0.0.1:6543/")
        }
        #expect(error?.description.contains("no database") == true)
        #expect(error?.description.contains("secret") == false)
        #expect(throws: PostgresURLError.self) { try PostgresConnectionInfo(url: "sqlite:///tmp/x.db") }
    }

    @Test(arguments: [false, true])
    func typedValuesOfServicesExportsAndClonesConnect(tcp: Bool) async throws {
        try await SwiftAPIStacks.withStarted(try SwiftAPIStacks.postgres(tcp: tcp)) { environment in
            let service = try await environment.service("db").postgres
            #expect(service.database == "shop")
            let exported = try await environment.postgresExport("DATABASE_URL")
            #expect(exported == service)
            if tcp {
                #expect(service.host == "127.0.0.1" && service.unixSocketPath == nil)
            } else {
                var info = stat()
                #expect(lstat(service.unixSocketPath!, &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK)
            }
            #expect(try Self.tags(service) == ["seed-1", "seed-2", "seed-3"])

            let pool = try await DatabasePool(environment: environment, service: "db", options: .init(size: 1))
            let database = try await pool.checkout()
            let clone = try database.postgres
            #expect(clone.database == database.name)
            #expect(clone.replacingDatabase(with: "shop") == service)
            try TestSQL.execute(database, "DELETE FROM items WHERE id = 1")
            #expect(try Self.tags(clone) == ["seed-2", "seed-3"])
            #expect(try Self.tags(service) == ["seed-1", "seed-2", "seed-3"])
            await pool.shutdown()
        }
    }

    @Test func anSQLiteCloneHasNoPostgresValues() async throws {
        try await SwiftAPIStacks.withStarted(try SwiftAPIStacks.sqlite()) { environment in
            let pool = try await DatabasePool(environment: environment, service: "db", options: .init(size: 1))
            let database = try await pool.checkout()
            #expect(FileManager.default.fileExists(atPath: database.path!))
            #expect(throws: PostgresURLError.self) { try database.postgres }
            await #expect(throws: ServiceValueError.self) { try await environment.service("db").postgres }
            await pool.shutdown()
        }
    }

    /// Connects with the separate values only (no URL), as postgres-nio would.
    static func tags(_ connection: PostgresConnectionInfo) throws -> [String] {
        let pg: PGConnection
        if let socket = connection.socketDirectory {
            pg = try PGConnection(socketDirectory: socket, port: connection.port, user: connection.user,
                                  database: connection.database, password: connection.password)
        } else {
            var parameters = ["host": connection.host!, "port": String(connection.port), "user": connection.user,
                              "dbname": connection.database]
            parameters["password"] = connection.password
            pg = try PGConnection(parameters: parameters)
        }
        defer { pg.close() }
        return try pg.query("SELECT tag FROM items ORDER BY id").map { $0[0] ?? "" }
    }
}
