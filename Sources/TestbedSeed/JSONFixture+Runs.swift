import TestbedModel
extension JSONFixture {
    /// Consecutive rows of a table that have the same keys: one INSERT naming ``columns``
    /// inserts them all, and the runs in order keep the file's row order.
    package struct RowRun: Sendable {
        /// The keys these rows have, in the table's column order.
        package var columns: [String]
        /// Which of the table's ``JSONFixture/Table/columns`` these rows have.
        package var present: [Bool]
        /// The rows, in file order.
        package var rows: ArraySlice<JSONFixture.Row>
        /// Every column of the table (what ``JSONFixture/Row/values`` is aligned with).
        var tableColumns: [String]
    }
}

extension JSONFixture.Table {
    /// The table's rows cut into runs of rows with the same keys, in file order. A key a row
    /// lacks is left out of its run's columns, so the column's default applies.
    package var runs: [JSONFixture.RowRun] {
        var result: [JSONFixture.RowRun] = []
        var start = rows.startIndex
        while start < rows.endIndex {
            let present = rows[start].values.map { $0 != nil }
            var end = rows.index(after: start)
            while end < rows.endIndex, rows[end].values.lazy.map({ $0 != nil }).elementsEqual(present) { end = rows.index(after: end) }
            let names = zip(columns, present).filter(\.1).map(\.0)
            result.append(JSONFixture.RowRun(columns: names, present: present, rows: rows[start..<end], tableColumns: columns))
            start = end
        }
        return result
    }
}

extension JSONFixture.RowRun {
    /// The run's rows as a JSON array of objects (present keys only), for a database that
    /// reads rows from JSON, such as PostgreSQL's `json_populate_recordset`.
    package func jsonArray(_ rows: ArraySlice<JSONFixture.Row>? = nil) -> String {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (index, row) in (rows ?? self.rows).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "{"))
            var first = true
            for (value, column) in zip(row.values, tableColumns) {
                guard let value else { continue }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                JSONLayout.writeString(column, ascii: false, to: &out)
                out.append(UInt8(ascii: ":"))
                value.writeJSON(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }
}

extension FixtureValue {
    /// The value as JSON text: nested values as they were serialized, numbers as written.
    func writeJSON(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .integer(let value): out.append(contentsOf: String(value).utf8)
        case .decimal(let text), .json(let text): out.append(contentsOf: text.utf8)
        case .text(let text): JSONLayout.writeString(text, ascii: false, to: &out)
        }
    }
}
