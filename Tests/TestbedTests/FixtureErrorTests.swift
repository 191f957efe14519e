import Foundation
import Testing
@testable import Testbed

/// Bad fixtures into each database, end to end: the start fails with the file, the line
/// and the database's (or parser's) message, and nothing is left running.
@Suite struct FixtureErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var file: String
        var contents: String
        var step: String
        /// Expected in the error: `file:line` (nil: no line) and a fragment of the message.
        var line: Int?
        var message: [String: String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "CSV type mismatch", file: "t.csv", contents: "id,n,label\n1,10,a\n2,ten,b\n",
             step: "csv: t.csv\n        table: t", line: 3,
             message: ["postgres": "invalid input syntax for type integer", "sqlite": "cannot store TEXT value in INTEGER column"]),
        Case(name: "CSV row with too many fields", file: "t.csv", contents: "id,n,label\n1,10,a\n2,20,b,extra\n",
             step: "csv: t.csv\n        table: t", line: 3,
             message: ["postgres": "extra data after last expected column", "sqlite": "4 fields"]),
        Case(name: "CSV header naming a missing column", file: "t.csv", contents: "id,n,colour\n1,10,red\n",
             step: "csv: t.csv\n        table: t", line: nil,
             message: ["postgres": "colour", "sqlite": "colour"]),
        Case(name: "malformed JSON", file: "t.json", contents: "[\n  {\"id\": 1, \"n\": 10},\n  {\"id\": 2 \"n\": 20}\n]\n",
             step: "json: t.json\n        table: t", line: 3,
             message: ["postgres": "JSON", "sqlite": "JSON"]),
        Case(name: "JSON row of the wrong type", file: "t.json",
             contents: "[\n  {\"id\": 1, \"n\": 10},\n  {\"id\": 2, \"n\": \"ten\"},\n  {\"id\": 3, \"n\": 30}\n]\n",
             step: "json: t.json\n        table: t", line: 3,
             message: ["postgres": "invalid input syntax for type integer", "sqlite": "cannot store TEXT value in INTEGER column"]),
        Case(name: "JSON key naming a missing column", file: "t.json", contents: "[{\"id\": 1, \"n\": 10, \"colour\": \"red\"}]\n",
             step: "json: t.json\n        table: t", line: nil,
             message: ["postgres": "colour", "sqlite": "colour"]),
    ]

    static let schemas = [
        "postgres": "CREATE TABLE t (id integer PRIMARY KEY, n integer, label text);",
        "sqlite": "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, label TEXT) STRICT;",
    ]

    @Test(arguments: cases, ["postgres", "sqlite"])
    func badFixtureFailsTheStartWithFileLineAndMessage(_ example: Case, database: String) async throws {
        let stack = try TestStack("""
            services:
              db:
                \(database): {}
                seed:
                  - sql: schema.sql
                  - \(example.step)
            """, files: ["schema.sql": Self.schemas[database]!, example.file: example.contents])
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        let error = await #expect(throws: EnvironmentError.self) { try await environment.start() }
        #expect(error?.code == .seedFailed)
        let text = error?.message ?? ""
        if let line = example.line {
            #expect(text.contains("\(example.file):\(line)"), "\(text)")
        } else {
            #expect(text.contains(example.file), "\(text)")
        }
        #expect(text.contains(example.message[database]!), "\(text)")
        #expect(await eventually { stack.liveProcesses.isEmpty })
    }
}
