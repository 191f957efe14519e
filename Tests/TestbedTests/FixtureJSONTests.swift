import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel
@testable import TestbedSeed

@Suite struct FixtureJSONTests {
    @Test func arrayFormUsesTheStepsTableAndUnionsColumns() throws {
        let json = """
        [
          {"id": 1, "name": "Ada"},
          {"id": 2, "email": "g@example.com", "name": null}
        ]
        """
        let fixture = try JSONFixture(bytes: Array(json.utf8), file: "users.json", table: "users")
        #expect(fixture.tables.count == 1)
        let table = fixture.tables[0]
        #expect(table.name == "users")
        #expect(table.columns == ["id", "name", "email"])
        #expect(table.rows.map(\.line) == [2, 3])
        #expect(table.rows[0].values == [.integer(1), .text("Ada"), nil])
        #expect(table.rows[1].values == [.integer(2), .null, .text("g@example.com")])
    }

    @Test func tableMapFormKeepsFileOrderAndNestedValuesBecomeJSONText() throws {
        let fixture = try JSONFixture(path: fixturePath("fixtures", "tables.json"), table: nil)
        #expect(fixture.tables.map(\.name) == ["users", "orders"])
        #expect(fixture.rowCount == 3)
        #expect(fixture.tables[0].rows[0].values[2] == .json("[\"math\",\"engines\"]"))
        let orders = fixture.tables[1]
        #expect(orders.columns == ["id", "total", "big"])
        #expect(orders.rows[0].values == [.integer(10), .decimal("12.50"), .decimal("123456789012345678901234567890")])
        #expect(orders.rows[0].line == 7)
    }

    @Test func nestedObjectsKeepKeyOrderAndEscapes() throws {
        let json = #"[{"meta": {"z": 1, "a": "line\nbreak \"q\" \u00e9", "n": [true, false, null, 1.5e3]}}]"#
        let fixture = try JSONFixture(bytes: Array(json.utf8), file: "x.json", table: "t")
        #expect(fixture.tables[0].rows[0].values == [.json(#"{"z":1,"a":"line\nbreak \"q\" é","n":[true,false,null,1.5e3]}"#)])
    }

    @Test(arguments: [
        ("[\n  {\"a\": 1},\n  {\"a\": 2}\n  {\"a\": 3}\n]", 4),
        ("[\n  {\"a\": 1,},\n]", 2),
        ("{\n  \"t\": [\n    {\"a\": tru}\n  ]\n}", 3),
        ("[\n  {\"a\": \"unterminated\n}]", 2),
        ("[\n  {\"a\": 1}\n", 3),
        ("[{\"a\": 01}]", 1),
    ])
    func malformedJSONIsReportedAtItsLine(json: String, line: Int) throws {
        let error = #expect(throws: FixtureError.self) {
            try JSONFixture(bytes: Array(json.utf8), file: "bad.json", table: json.hasPrefix("[") ? "t" : nil)
        }
        #expect(error?.line == line)
        #expect(error?.file == "bad.json")
        #expect(error?.message.hasPrefix("malformed JSON") == true)
    }

    @Test func shapeErrorsSayWhatToChange() throws {
        let noTable = #expect(throws: FixtureError.self) {
            try JSONFixture(bytes: Array("[{\"a\": 1}]".utf8), file: "x.json", table: nil)
        }
        #expect(noTable?.message.contains("must name its `table`") == true)
        let notObject = #expect(throws: FixtureError.self) {
            try JSONFixture(bytes: Array("[\n{\"a\": 1},\n 5]".utf8), file: "x.json", table: "t")
        }
        #expect(notObject?.line == 3)
        let duplicate = #expect(throws: FixtureError.self) {
            try JSONFixture(bytes: Array("[{\"a\": 1, \"a\": 2}]".utf8), file: "x.json", table: "t")
        }
        #expect(duplicate?.message.contains("twice") == true)
        #expect(throws: FixtureError.self) { try JSONFixture(path: "/nonexistent.json", table: "t") }
    }
}
