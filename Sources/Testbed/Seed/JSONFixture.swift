import Foundation

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
public struct JSONFixture: Sendable {
    /// The rows bound for one table.
    public struct Table: Sendable, Hashable {
        /// The table's name, from the seed step or the file's top-level key.
        public var name: String
        /// Every key any row has, in first-seen order.
        public var columns: [String]
        /// The table's objects, in file order.
        public var rows: [Row]
    }

    /// One object of the fixture.
    public struct Row: Sendable, Hashable {
        /// 1-based line where the object starts.
        public var line: Int
        /// Aligned with ``Table/columns``: nil where this object has no such key (so the
        /// column's default applies), ``FixtureValue/null`` for an explicit JSON null.
        public var values: [FixtureValue?]
    }

    /// The file as given.
    public var file: String
    /// The tables, in file order (one table for the array shape).
    public var tables: [Table]

    /// Reads and parses the fixture at `path`; `table` is the seed step's table, if any.
    public init(path: String, table: String?) throws(FixtureError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw FixtureError(file: path, message: "cannot read: \(error.localizedDescription)")
        }
        try self.init(bytes: Array(data), file: path, table: table)
    }

    /// Parses fixture text; `file` names it in errors.
    public init(bytes: [UInt8], file: String, table: String?) throws(FixtureError) {
        self.file = file
        var scanner = JSONScanner(bytes: bytes, file: file)
        let root = try scanner.parseDocument()
        switch root.kind {
        case .array(let items):
            guard let table else {
                throw FixtureError(file: file, line: root.line,
                                   message: "the file is an array of rows, so the seed step must name its `table`")
            }
            tables = [try Self.table(named: table, items: items, file: file)]
        case .object(let members):
            if let table {
                throw FixtureError(file: file, line: root.line,
                                   message: "the file maps table names to rows, so the seed step must not name a table (it names '\(table)'); or make the file an array of rows")
            }
            var seen = Set<String>()
            tables = []
            for member in members {
                guard seen.insert(member.key).inserted else {
                    throw FixtureError(file: file, line: member.value.line, message: "table '\(member.key)' appears twice")
                }
                guard case .array(let items) = member.value.kind else {
                    throw FixtureError(file: file, line: member.value.line,
                                       message: "the value of table '\(member.key)' must be an array of row objects")
                }
                tables.append(try Self.table(named: member.key, items: items, file: file))
            }
        default:
            throw FixtureError(file: file, line: root.line,
                               message: "a JSON fixture must be an array of row objects or an object mapping table names to arrays")
        }
    }

    /// The total number of rows over all tables.
    public var rowCount: Int { tables.reduce(0) { $0 + $1.rows.count } }

    private static func table(named name: String, items: [JSONNode], file: String) throws(FixtureError) -> Table {
        var columns: [String] = []
        var index: [String: Int] = [:]
        var objects: [(line: Int, members: [(key: String, value: JSONNode)])] = []
        objects.reserveCapacity(items.count)
        for item in items {
            guard case .object(let members) = item.kind else {
                throw FixtureError(file: file, line: item.line, message: "each row of table '\(name)' must be a JSON object")
            }
            var keys = Set<String>()
            for member in members {
                guard keys.insert(member.key).inserted else {
                    throw FixtureError(file: file, line: member.value.line, message: "key '\(member.key)' appears twice in one row")
                }
                if index[member.key] == nil {
                    index[member.key] = columns.count
                    columns.append(member.key)
                }
            }
            objects.append((item.line, members))
        }
        let rows = objects.map { object in
            var values = [FixtureValue?](repeating: nil, count: columns.count)
            for member in object.members { values[index[member.key]!] = value(of: member.value) }
            return Row(line: object.line, values: values)
        }
        return Table(name: name, columns: columns, rows: rows)
    }

    private static func value(of node: JSONNode) -> FixtureValue {
        switch node.kind {
        case .null: .null
        case .bool(let value): .bool(value)
        case .number(let text): Int64(text).map(FixtureValue.integer) ?? .decimal(text)
        case .string(let text): .text(text)
        case .array, .object: .json(node.serialized)
        }
    }
}
