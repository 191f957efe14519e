import Foundation
import Testing
@testable import Testbed

/// DatabasePool against real servers: isolation, drops, sqlite copies.
@Suite struct PoolTests {
    @Test(arguments: [false, true])
    func eightParallelTestsEachSeeOnlyTheirOwnRowsAndTheSeed(tcp: Bool) async throws {
        try await SwiftAPIStacks.withStarted(try SwiftAPIStacks.postgres(tcp: tcp)) { environment in
            let pool = try await DatabasePool(environment: environment, service: "db")
            let results = try await withThrowingTaskGroup(of: (Int, [String], TestDatabase).self) { group in
                for id in 1...8 {
                    group.addTask {
                        let database = try await pool.checkout()
                        try TestSQL.execute(database, "INSERT INTO items (id, tag) VALUES (100, 'test-\(id)')")
                        try await Task.sleep(for: .milliseconds(20))
                        return (id, try TestSQL.tags(database), database)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.count == 8)
            #expect(Set(results.map(\.2.name)).count == 8)
            for (id, tags, database) in results {
                #expect(tags == ["seed-1", "seed-2", "seed-3", "test-\(id)"], "\(database)")
                #expect(database.url.contains(tcp ? "@127.0.0.1:" : "host="))
            }
            await pool.shutdown()
        }
    }

    @Test func checkedInAndLeftoverDatabasesAreDropped() async throws {
        try await SwiftAPIStacks.withStarted(try SwiftAPIStacks.postgres()) { environment in
            let pool = try await DatabasePool(environment: environment, service: "db", options: .init(size: 2))
            let first = try await pool.checkout()
            let second = try await pool.checkout()
            #expect(first.name.hasPrefix("shop_t"))
            let main = TestDatabase(service: "db", kind: .postgres, name: "shop", url: try await environment.service("db").url)
            func databases() throws -> Set<String> {
                Set(try TestSQL.rows(main, "SELECT datname FROM pg_database").map { $0[0] })
            }
            #expect(try databases().isSuperset(of: [first.name, second.name]))
            try await pool.checkin(first)
            await pool.waitForDrops()
            #expect(try !databases().contains(first.name))
            #expect(try databases().contains(second.name))
            try await pool.prepared()
            await pool.shutdown()
            #expect(try databases().filter { $0.hasPrefix("shop_t") }.isEmpty)
            #expect(try TestSQL.tags(main) == ["seed-1", "seed-2", "seed-3"])
            await #expect(throws: EnvironmentError.self) { try await pool.checkout() }
            let statistics = await pool.statistics
            #expect(statistics.dropped == statistics.created)
        }
    }

    @Test func withNoDropBacklogACheckinReturnsOnceItsDatabaseIsGone() async throws {
        try await SwiftAPIStacks.withStarted(try SwiftAPIStacks.postgres()) { environment in
            let pool = try await DatabasePool(environment: environment, service: "db",
                                              options: .init(size: 1, pendingDropLimit: 0))
            let main = TestDatabase(service: "db", kind: .postgres, name: "shop", url: try await environment.service("db").url)
            for _ in 0..<3 {
                let database = try await pool.checkout()
                try TestSQL.execute(database, "INSERT INTO items (id, tag) VALUES (100, 'mine')")
                try await pool.checkin(database)
                let names = Set(try TestSQL.rows(main, "SELECT datname FROM pg_database").map { $0[0] })
                #expect(!names.contains(database.name), "\(names)")
            }
            #expect(await pool.statistics.dropped == 3)
            await pool.shutdown()
        }
    }

    @Test func sqliteCopiesAreIndependentFilesRemovedAtCheckin() async throws {
        try await SwiftAPIStacks.withStarted(try SwiftAPIStacks.sqlite()) { environment in
            let pool = try await DatabasePool(environment: environment, service: "db")
            let one = try await pool.checkout()
            let two = try await pool.checkout()
            #expect(one.path != two.path)
            #expect(one.url == "sqlite:///" + one.path!)
            try TestSQL.execute(one, "INSERT INTO items (id, tag) VALUES (100, 'one')")
            try TestSQL.execute(two, "DELETE FROM items WHERE id = 1")
            #expect(try TestSQL.tags(one) == ["seed-1", "seed-2", "seed-3", "one"])
            #expect(try TestSQL.tags(two) == ["seed-2", "seed-3"])
            let main = try await environment.service("db").path
            let original = TestDatabase(service: "db", kind: .sqlite, name: "db", url: "", path: main)
            #expect(try TestSQL.tags(original) == ["seed-1", "seed-2", "seed-3"])
            try await pool.checkin(one)
            #expect(!FileManager.default.fileExists(atPath: one.path!))
            await pool.shutdown()
            #expect(!FileManager.default.fileExists(atPath: two.path!))
        }
    }

    @Test func aNonDatabaseServiceIsRefusedWithItsName() async throws {
        try await SwiftAPIStacks.withStarted(try SwiftAPIStacks.sqlite()) { environment in
            let error = await #expect(throws: EnvironmentError.self) {
                _ = try await DatabasePool(environment: environment, service: "web")
            }
            #expect(error?.service == "web")
        }
    }
}
