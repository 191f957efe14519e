import CSQLite

/// A compiled statement of one ``SQLiteDatabase``: bind parameters, step, read columns, reset.
///
/// Not thread-safe; finalized when released. Keeps its connection open while it lives.
package final class SQLiteStatement {
    private let handle: OpaquePointer
    private let database: SQLiteDatabase

    init(handle: OpaquePointer, database: SQLiteDatabase) {
        self.handle = handle
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    /// The statement's SQL text.
    package var sql: String { String(cString: sqlite3_sql(handle)) }

    /// Binds `values` to parameters 1...n.
    package func bind(_ values: [SQLiteValue]) throws {
        for (index, value) in values.enumerated() {
            try bind(value, at: index + 1)
        }
    }

    /// Binds one value to the 1-based parameter `index`.
    package func bind(_ value: SQLiteValue, at index: Int) throws {
        let position = Int32(index)
        let result: Int32
        switch value {
        case .null:
            result = sqlite3_bind_null(handle, position)
        case .integer(let number):
            result = sqlite3_bind_int64(handle, position, number)
        case .real(let number):
            result = sqlite3_bind_double(handle, position, number)
        case .text(var text):
            result = text.withUTF8 { utf8 in
                // An empty buffer may have no address, and a NULL pointer would bind NULL.
                guard let base = utf8.baseAddress, utf8.count > 0 else {
                    return sqlite3_bind_text(handle, position, "", 0, testbed_sqlite_transient())
                }
                return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                    sqlite3_bind_text(handle, position, $0, Int32(utf8.count), testbed_sqlite_transient())
                }
            }
        case .blob(let bytes):
            result = bytes.withUnsafeBytes { raw in
                sqlite3_bind_blob(handle, position, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(raw.count),
                                  testbed_sqlite_transient())
            }
        }
        guard result == SQLITE_OK else { throw database.lastError("binding parameter \(index): ") }
    }

    /// Runs the statement to its next row: true when a row is available, false when done.
    @discardableResult
    package func step() throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw database.lastError()
        }
    }

    /// Makes the statement ready to run again and clears its bindings.
    package func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// How many columns each result row has (0 for statements that return no rows).
    package var columnCount: Int { Int(sqlite3_column_count(handle)) }

    /// The value of column `index` (0-based) of the current row.
    package func column(_ index: Int) -> SQLiteValue {
        let position = Int32(index)
        switch sqlite3_column_type(handle, position) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(handle, position))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(handle, position))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(handle, position) else { return .text("") }
            let count = Int(sqlite3_column_bytes(handle, position))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, position))
            guard let bytes = sqlite3_column_blob(handle, position), count > 0 else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default:
            return .null
        }
    }
}
