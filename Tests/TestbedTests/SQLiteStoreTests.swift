import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel
@testable import TestbedSeed
@testable import TestbedDrivers

/// A store over the checked-in shop fixtures (or `seed`), in a fresh folder and cache.
private struct ShopStore {
    let folder: TemporaryFolder
    let log = PhaseLog()
    var path: String { folder.path + "/run/db/db.sqlite" }
    var cacheRoot: String { folder.path + "/cache" }

    init() throws { folder = try TemporaryFolder() }

    static func step(_ source: SeedStep.Source, _ paths: [String], argv: [String]? = nil) -> PlannedSeedStep {
        PlannedSeedStep(step: SeedStep(source: source, location: SourceLocation(file: "env.yml", line: 9, column: 5)),
                         absolutePaths: paths, commandArgv: argv)
    }

    static var shopSeed: [PlannedSeedStep] {
        let schema = fixturePath("sqlite", "schema.sql")
        let users = fixturePath("sqlite", "users.csv")
        let orders = fixturePath("sqlite", "orders.json")
        return [
            step(.sql(path: schema), [schema]),
            step(.csv(path: users, table: "users", options: CSVOptions()), [users]),
            step(.json(path: orders, table: nil), [orders]),
        ]
    }

    func store(_ seed: [PlannedSeedStep] = ShopStore.shopSeed, pragmas: [(name: String, value: String)] = []) throws -> SQLiteStore {
        try SQLiteStore(.init(serviceName: "db", spec: SQLiteSpec(pragmas: pragmas), path: path, seed: seed,
                              environment: ProcessInfo.processInfo.environment, cacheRoot: cacheRoot, report: log.reporter))
    }

    func count(_ table: String, at path: String? = nil) throws -> Int64? {
        let database = try SQLiteDatabase(path: path ?? self.path, flags: .readOnly)
        return try database.query("SELECT count(*) FROM \(table)").first?.first?.integerValue
    }
}

@Suite struct SQLiteStoreTests {
    @Test func seedsRowsFromSQLCSVAndJSON() async throws {
        let shop = try ShopStore()
        let store = try shop.store()
        try await store.start()
        #expect(try shop.count("users") == 4)
        #expect(try shop.count("orders") == 2)
        let database = try SQLiteDatabase(path: shop.path, flags: .readOnly)
        #expect(try database.query("SELECT name, email FROM users WHERE id = 3") == [[.text("Hopper, Grace"), .text("multi\nline")]])
        #expect(try database.query("SELECT email FROM users WHERE id = 4") == [[.null]])
        #expect(try database.query("SELECT total, paid, meta FROM orders WHERE id = 1")
                == [[.real(19.99), .integer(1), .text(#"{"coupon":"SPRING","items":[1,2]}"#)]])
        #expect(try database.query("SELECT paid, meta FROM orders WHERE id = 2") == [[.integer(0), .null]])
        #expect(shop.log.seededDetail?.hasPrefix("seeded 3 step(s), 5 fixture row(s)") == true)
        #expect(store.values["url"] == "sqlite:///" + shop.path)
        #expect(store.values["path"] == shop.path && store.values["dsn"] == shop.path && store.values["file"] == shop.path)
        store.stop()
        #expect(!FileManager.default.fileExists(atPath: shop.path))
    }

    @Test func failingSQLStatementLeavesNoDatabaseAndNamesFileAndLine() async throws {
        let shop = try ShopStore()
        let bad = try shop.folder.write("bad.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY);\nINSERT INTO t VALUES (1);\n\nINSERT INTO missing\n  VALUES (2);\n")
        let store = try shop.store([ShopStore.step(.sql(path: bad), [bad])])
        let error = await #expect(throws: SeedError.self) { try await store.start() }
        #expect(error?.file == bad)
        #expect(error?.line == 4)
        #expect(error?.statement == "INSERT INTO missing")
        #expect(error?.message.contains("no such table: missing") == true)
        #expect(error?.step?.line == 9)
        #expect(!FileManager.default.fileExists(atPath: shop.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: shop.cacheRoot + "/sqlite/tmp").isEmpty)
    }

    @Test func strictTypeMismatchInCSVIsReportedAtTheRecordAndUndoesEarlierSteps() async throws {
        let shop = try ShopStore()
        let scores = try shop.folder.write("scores.csv", "id,points\n1,10\n2,\"ten\"\n")
        let store = try shop.store([ShopStore.shopSeed[0], ShopStore.step(.csv(path: scores, table: "scores", options: CSVOptions()), [scores])])
        let error = await #expect(throws: SeedError.self) { try await store.start() }
        #expect(error?.file == scores)
        #expect(error?.line == 3)
        #expect(error?.message.contains("cannot store TEXT value in INTEGER column scores.points") == true)
        #expect(!FileManager.default.fileExists(atPath: shop.path))
    }

    @Test func missingColumnIsReportedAtTheHeaderLine() async throws {
        let shop = try ShopStore()
        let users = try shop.folder.write("users.csv", "id,name,nickname\n5,Eve,evie\n")
        let store = try shop.store([ShopStore.shopSeed[0], ShopStore.step(.csv(path: users, table: "users", options: CSVOptions()), [users])])
        let error = await #expect(throws: SeedError.self) { try await store.start() }
        #expect(error?.line == 1)
        #expect(error?.message.contains("no column named nickname") == true)
    }

    @Test func jsonRowViolatingAConstraintIsReportedAtItsLine() async throws {
        let shop = try ShopStore()
        let orders = try shop.folder.write("orders.json", "[\n  {\"id\": 1, \"user_id\": 1},\n  {\"id\": 2, \"user_id\": 99}\n]")
        let store = try shop.store([ShopStore.shopSeed[0], ShopStore.step(.json(path: orders, table: "orders"), [orders])])
        let error = await #expect(throws: SeedError.self) { try await store.start() }
        #expect(error?.line == 3)
        #expect(error?.message.contains("FOREIGN KEY") == true)
    }

    @Test func secondStartIsACacheHitAndAnEditInvalidatesIt() async throws {
        let shop = try ShopStore()
        let schema = try shop.folder.write("schema.sql", "CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        let seed = [ShopStore.step(.sql(path: schema), [schema])]
        let first = try shop.store(seed)
        try await first.start()
        #expect(shop.log.seededDetail?.hasPrefix("seeded") == true)
        first.stop()
        let second = try shop.store(seed)
        try await second.start()
        #expect(shop.log.seededDetail?.hasPrefix("cached") == true)
        #expect(try shop.count("t") == 1)
        second.stop()
        try shop.folder.write("schema.sql", "CREATE TABLE t (x); INSERT INTO t VALUES (1), (2);")
        let third = try shop.store(seed)
        try await third.start()
        #expect(shop.log.seededDetail?.hasPrefix("seeded") == true)
        #expect(try shop.count("t") == 2)
        third.stop()
    }

    @Test func resetRestoresTheSeededRowsAfterMutation() async throws {
        let shop = try ShopStore()
        let store = try shop.store(pragmas: [("journal_mode", "WAL")])
        try await store.start()
        let app = try SQLiteDatabase(path: shop.path)
        try app.execute("DELETE FROM orders; DELETE FROM users; INSERT INTO users (name) VALUES ('new');")
        #expect(try shop.count("users") == 1)
        try store.reset()
        #expect(try app.query("SELECT count(*) FROM users") == [[.integer(4)]])
        #expect(try shop.count("orders") == 2)
        app.close()
        store.stop()
        #expect(!FileManager.default.fileExists(atPath: shop.path + "-wal"))
    }

    @Test func copyGivesAnIndependentSeededDatabase() async throws {
        let shop = try ShopStore()
        let store = try shop.store()
        try await store.start()
        let copyPath = shop.folder.path + "/tests/one.sqlite"
        try store.copy(to: copyPath)
        let copy = try SQLiteDatabase(path: copyPath)
        try copy.execute("DELETE FROM orders")
        #expect(try shop.count("orders", at: copyPath) == 0)
        #expect(try shop.count("orders") == 2)
        store.stop()
        #expect(FileManager.default.fileExists(atPath: copyPath))
    }

    @Test func checkPassesOnASeededDatabaseAndFailsOnACorruptFile() async throws {
        let shop = try ShopStore()
        let store = try shop.store()
        try await store.start()
        try store.check()
        try store.check(sql: "SELECT count(*) FROM users")
        let badQuery = #expect(throws: SQLiteError.self) { try store.check(sql: "SELECT * FROM nope") }
        #expect(badQuery?.message.contains("no such table: nope") == true)
        try Data(String(repeating: "this is not a database ", count: 400).utf8).write(to: URL(fileURLWithPath: shop.path))
        let corrupt = #expect(throws: SQLiteError.self) { try store.check() }
        #expect(corrupt?.message.contains("check of \(shop.path) failed") == true)
        #expect(corrupt?.message.contains("file is not a database") == true)
        store.stop()
    }

    @Test func commandStepSeedsThroughSQLitePathAndIsNotCachedUnlessAsked() async throws {
        let shop = try ShopStore()
        let schema = try shop.folder.write("schema.sql", "CREATE TABLE t (x);")
        let insert = "sqlite3 \"$SQLITE_PATH\" \"INSERT INTO t VALUES ('$DATABASE_URL')\""
        let seed = [
            ShopStore.step(.sql(path: schema), [schema]),
            ShopStore.step(.command(.shell(Template(literal: insert)), cacheable: false, inputs: []), [], argv: ["/bin/sh", "-c", insert]),
        ]
        let store = try shop.store(seed)
        try await store.start()
        #expect(shop.log.seededDetail?.contains("not cached") == true)
        let rows = try SQLiteDatabase(path: shop.path, flags: .readOnly).query("SELECT x FROM t")
        #expect(rows.count == 1 && rows[0][0].stringValue?.hasPrefix("sqlite:///") == true)
        store.stop()
        #expect(try FileManager.default.contentsOfDirectory(atPath: shop.cacheRoot + "/sqlite/uncached").isEmpty)
    }

    @Test func failingCommandStepLeavesNoDatabase() async throws {
        let shop = try ShopStore()
        let schema = try shop.folder.write("schema.sql", "CREATE TABLE t (x);")
        let script = "echo about to fail; exit 3"
        let seed = [
            ShopStore.step(.sql(path: schema), [schema]),
            ShopStore.step(.command(.shell(Template(literal: script)), cacheable: true, inputs: []), [], argv: ["/bin/sh", "-c", script]),
        ]
        let error = await #expect(throws: SeedError.self) { try await shop.store(seed).start() }
        #expect(error?.message.contains("exit status 3") == true)
        #expect(error?.message.contains("about to fail") == true)
        #expect(!FileManager.default.fileExists(atPath: shop.path))
    }

    @Test func aFileTestbedDidNotCreateIsNeitherReplacedNorDeleted() async throws {
        let shop = try ShopStore()
        try shop.folder.write("run/db/db.sqlite", "precious")
        let store = try shop.store()
        let error = await #expect(throws: SQLiteError.self) { try await store.start() }
        #expect(error?.message.contains("did not create") == true)
        store.stop()
        #expect(try String(contentsOfFile: shop.path, encoding: .utf8) == "precious")
    }

    @Test func concurrentStartsOfOneSeedShareOneSnapshot() async throws {
        let shop = try ShopStore()
        let stores = try (0..<4).map { index in
            try SQLiteStore(.init(serviceName: "db\(index)", spec: SQLiteSpec(), path: shop.folder.path + "/db\(index).sqlite",
                                  seed: ShopStore.shopSeed, cacheRoot: shop.cacheRoot))
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for store in stores { group.addTask { try await store.start() } }
            try await group.waitForAll()
        }
        for index in 0..<4 { #expect(try shop.count("users", at: shop.folder.path + "/db\(index).sqlite") == 4) }
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: shop.cacheRoot + "/sqlite").filter { $0.hasSuffix(".sqlite") }
        #expect(snapshots.count == 1)
        for store in stores { store.stop() }
    }
}
