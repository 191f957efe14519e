import Foundation
import TestbedModel

/// The rows of a JSON fixture file, table by table, ready for any database to insert.
///
/// Two shapes are accepted:
/// - an array of objects, inserted into the table the seed step names;
/// - an object mapping table name → array of objects (the step names no table), tables in
///   file order.
///
/// Each table's ``Table/columns`` is the union of the keys of its rows, in first-seen order.
/// Values keep their JSON type (``FixtureValue``); nested arrays and objects become compact
/// JSON text (``FixtureValue/json(_:)``) for json, jsonb or TEXT columns.
///
/// Throws ``FixtureError`` with the line of the problem: malformed JSON, a row that is not an
/// object, a duplicate key, or a shape that does not match the step.
package struct JSONFixture: Sendable {
    /// The rows bound for one table.
    package struct Table: Sendable, Hashable {
        /// The table's name, from the seed step or the file's top-level key.
        package var name: String
        /// Every key any row has, in first-seen order.
        package var columns: [String]
        /// The table's objects, in file order.
        package var rows: [Row]
    }

    /// One object of the fixture.
    package struct Row: Sendable, Hashable {
        /// 1-based line where the object starts.
        package var line: Int
        /// Aligned with ``Table/columns``: nil where this object has no such key (so the
        /// column's default applies), ``FixtureValue/null`` for an explicit JSON null.
        package var values: [FixtureValue?]
    }

    /// The file as given.
    package var file: String
    /// The tables, in file order (one table for the array shape).
    package var tables: [Table]

    /// Reads and parses the fixture at `path`; `table` is the seed step's table, if any.
    package init(path: String, table: String?) throws(FixtureError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw FixtureError(file: path, message: "cannot read: \(error.localizedDescription)")
        }
        try self.init(bytes: Array(data), file: path, table: table)
    }

    /// Parses fixture text; `file` names it in errors.
    ///
    /// The file is read in one pass with a ``JSONCursor``; when it holds both a syntax error
    /// and a shape error (a row that is not an object), the syntax error is reported,
    /// wherever it is.
    package init(bytes: [UInt8], file: String, table: String?) throws(FixtureError) {
        self.file = file
        do {
            tables = try Self.read(bytes, file: file, table: table)
        } catch let error as FixtureError {
            var check = JSONCursor(bytes: bytes)
            do {
                try check.beginDocument()
                try check.skipValue()
                try check.endDocument()
            } catch {
                throw Self.malformed(error, file: file)
            }
            throw error
        } catch {
            throw Self.malformed(error, file: file)
        }
    }

    /// The total number of rows over all tables.
    package var rowCount: Int { tables.reduce(0) { $0 + $1.rows.count } }

    private static func malformed(_ error: any Error, file: String) -> FixtureError {
        let syntax = error as? JSONSyntaxError ?? JSONSyntaxError(line: 1, message: "\(error)")
        return FixtureError(file: file, line: syntax.line, message: "malformed JSON: \(syntax.message)")
    }

    /// Reads the file's tables; throws ``FixtureError`` for a shape that does not fit the
    /// step and ``JSONSyntaxError`` for text that is not JSON.
    private static func read(_ bytes: [UInt8], file: String, table: String?) throws -> [Table] {
        var cursor = JSONCursor(bytes: bytes)
        try cursor.beginDocument()
        let line = cursor.line
        var tables: [Table] = []
        switch cursor.current {
        case UInt8(ascii: "["):
            guard let table else {
                throw FixtureError(file: file, line: line,
                                   message: "the file is an array of rows, so the seed step must name its `table`")
            }
            tables = [try Self.table(named: table, &cursor, file: file)]
        case UInt8(ascii: "{"):
            if let table {
                throw FixtureError(file: file, line: line,
                                   message: "the file maps table names to rows, so the seed step must not name a table (it names '\(table)'); or make the file an array of rows")
            }
            try cursor.beginObject()
            var seen = Set<String>()
            var first = true
            while let name = try cursor.nextMember(&first) {
                guard seen.insert(name).inserted else {
                    throw FixtureError(file: file, line: cursor.line, message: "table '\(name)' appears twice")
                }
                guard cursor.current == UInt8(ascii: "[") else {
                    throw FixtureError(file: file, line: cursor.line,
                                       message: "the value of table '\(name)' must be an array of row objects")
                }
                tables.append(try Self.table(named: name, &cursor, file: file))
            }
        default:
            throw FixtureError(file: file, line: line,
                               message: "a JSON fixture must be an array of row objects or an object mapping table names to arrays")
        }
        try cursor.endDocument()
        return tables
    }

    /// Reads the array of row objects at the cursor.
    private static func table(named name: String, _ cursor: inout JSONCursor, file: String) throws -> Table {
        var columns: [String] = []
        var index: [String: Int] = [:]
        var objects: [(line: Int, members: [(column: Int, value: FixtureValue)])] = []
        try cursor.beginArray()
        var first = true
        while try cursor.nextElement(&first) {
            let line = cursor.line
            guard cursor.current == UInt8(ascii: "{") else {
                throw FixtureError(file: file, line: line, message: "each row of table '\(name)' must be a JSON object")
            }
            try cursor.beginObject()
            var keys = Set<String>()
            var members: [(column: Int, value: FixtureValue)] = []
            var firstMember = true
            while let key = try cursor.nextMember(&firstMember) {
                guard keys.insert(key).inserted else {
                    throw FixtureError(file: file, line: cursor.line, message: "key '\(key)' appears twice in one row")
                }
                let column = index[key] ?? columns.count
                if column == columns.count {
                    index[key] = column
                    columns.append(key)
                }
                members.append((column, value(of: try JSONValue.read(from: &cursor))))
            }
            objects.append((line, members))
        }
        let rows = objects.map { object in
            var values = [FixtureValue?](repeating: nil, count: columns.count)
            for member in object.members { values[member.column] = member.value }
            return Row(line: object.line, values: values)
        }
        return Table(name: name, columns: columns, rows: rows)
    }

    private static func value(of value: JSONValue) -> FixtureValue {
        switch value {
        case .null: .null
        case .bool(let value): .bool(value)
        case .number(let text): Int64(text).map(FixtureValue.integer) ?? .decimal(text)
        case .string(let text): .text(text)
        case .array, .object: .json(value.compactText)
        }
    }
}
