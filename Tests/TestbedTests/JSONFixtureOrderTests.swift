import Foundation
import Testing
@testable import Testbed
@testable import TestbedSeed
@testable import TestbedDrivers

/// A JSON fixture in table-map form loads in file order into both databases: a child table
/// listed after its parent loads, whatever the alphabet says, and a key a row lacks keeps
/// the column's default.
///
/// The time limit is a hang guard (see `hangGuard`), not a figure: under plain `swift test`
/// on a loaded 2-core machine, tests here were seen to take over two minutes.
@Suite(.timeLimit(.minutes(5))) struct JSONFixtureOrderTests {
    static let schemas = [
        "postgres": """
            CREATE TABLE parents (id integer PRIMARY KEY, name text NOT NULL);
            CREATE TABLE children (id integer PRIMARY KEY, parent_id integer NOT NULL REFERENCES parents (id),
                                   name text NOT NULL DEFAULT 'unnamed');
            """,
        "sqlite": """
            CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
            CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parents (id),
                                   name TEXT NOT NULL DEFAULT 'unnamed');
            """,
    ]

    static let fixture = """
        {
          "parents": [
            {"id": 1, "name": "Ada"},
            {"id": 2, "name": "Grace"}
          ],
          "children": [
            {"id": 10, "parent_id": 1, "name": "Byron"},
            {"id": 11, "parent_id": 2},
            {"id": 12, "parent_id": 2, "name": "Hopper"}
          ]
        }
        """

    @Test(arguments: ["postgres", "sqlite"])
    func tablesLoadInFileOrderWithForeignKeys(database: String) async throws {
        let stack = try TestStack("""
            services:
              db:
                \(database): {}
                seed:
                  - sql: schema.sql
                  - json: family.json
            """, files: ["schema.sql": Self.schemas[database]!, "family.json": Self.fixture])
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        try await environment.start()
        let values = await environment.values["db"] ?? [:]
        let query = "SELECT c.id, p.name, c.name FROM children c JOIN parents p ON p.id = c.parent_id ORDER BY c.id"
        var rows: [[String?]] = []
        if database == "postgres" {
            let connection = try PGConnection(conninfo: try #require(values["url"]))
            rows = try connection.query(query)
            connection.close()
        } else {
            let sqlite = try SQLiteDatabase(path: try #require(values["path"]))
            rows = try sqlite.query(query).map { $0.map { value -> String? in
                switch value {
                case .null: nil
                case .integer(let number): String(number)
                case .text(let text): text
                default: "\(value)"
                }
            } }
        }
        await environment.stop()
        #expect(rows == [["10", "Ada", "Byron"], ["11", "Grace", "unnamed"], ["12", "Grace", "Hopper"]])
    }

    @Test func runsKeepFileOrderAndSplitWhereTheKeysChange() throws {
        let fixture = try JSONFixture(bytes: Array(Self.fixture.utf8), file: "family.json", table: nil)
        #expect(fixture.tables.map(\.name) == ["parents", "children"])
        let runs = fixture.tables[1].runs
        #expect(runs.map(\.columns) == [["id", "parent_id", "name"], ["id", "parent_id"], ["id", "parent_id", "name"]])
        #expect(runs.map { $0.rows.map(\.line) } == [[7], [8], [9]])
        #expect(runs[1].jsonArray() == #"[{"id":11,"parent_id":2}]"#)
    }
}
