import TestbedSystem
/// An SQLite call failed: the result code, SQLite's message, and for scripts where it failed.
package struct SQLiteError: TestbedError, Hashable {
    /// An SQLite result code (extended where SQLite gives one; see sqlite.org/rescode.html).
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The numeric result code, including extended bits (e.g. 2067 for `SQLITE_CONSTRAINT_UNIQUE`).
        package var rawValue: Int32
        /// Wraps a result code returned by libsqlite3.
        public init(_ rawValue: Int32) { self.rawValue = rawValue }

        /// The primary code (the low 8 bits), e.g. ``constraint`` for `SQLITE_CONSTRAINT_DATATYPE`.
        package var primary: Code { Code(rawValue & 0xFF) }

        /// `SQLITE_ERROR`: a generic error, such as an SQL syntax error or a missing table.
        package static let error = Code(1)
        /// `SQLITE_BUSY`: another connection held a lock longer than ``SQLiteDatabase/busyTimeout``.
        package static let busy = Code(5)
        /// `SQLITE_READONLY`: a write to a database opened read-only or a read-only file.
        package static let readOnly = Code(8)
        /// `SQLITE_IOERR`: a read, write or rename failed at the operating-system level.
        package static let ioError = Code(10)
        /// `SQLITE_CORRUPT`: the file is damaged (also used when `quick_check` finds problems).
        package static let corrupt = Code(11)
        /// `SQLITE_CANTOPEN`: the file or its folder cannot be opened or created.
        package static let cantOpen = Code(14)
        /// `SQLITE_CONSTRAINT`: a constraint failed; errors carry the extended code, so compare ``primary``.
        package static let constraint = Code(19)
        /// `SQLITE_MISMATCH`: a value of the wrong type, e.g. a non-integer for an `INTEGER PRIMARY KEY`.
        package static let mismatch = Code(20)
        /// `SQLITE_MISUSE`: the API was used wrongly; Testbed also uses it for a closed connection or bad options.
        package static let misuse = Code(21)
        /// `SQLITE_NOTADB`: the file exists but is not an SQLite database.
        package static let notADatabase = Code(26)
        /// `SQLITE_CONSTRAINT_DATATYPE`: a value of the wrong type for a STRICT table's column.
        package static let constraintDatatype = Code(19 | (12 << 8))

        /// `SQLite error N`, with the raw (possibly extended) code.
        public var description: String { "SQLite error \(rawValue)" }
    }

    /// The result code; extended where SQLite reports one, so compare `code.primary` with the primary codes.
    package var code: Code
    /// What went wrong: SQLite's own message, or Testbed's.
    package var message: String
    /// For ``SQLiteDatabase/execute(_:)``: 1-based line in the script where the failing
    /// statement starts (after leading comments).
    package var line: Int?
    /// For ``SQLiteDatabase/execute(_:)``: the first line of the failing statement.
    package var statement: String?

    /// Makes an error; `line` and `statement` are for failures inside a script.
    package init(code: Code, message: String, line: Int? = nil, statement: String? = nil) {
        self.code = code
        self.message = message
        self.line = line
        self.statement = statement
    }

    /// The message, prefixed with the script line and followed by the statement when known.
    package var description: String {
        var text = line.map { "line \($0): \(message)" } ?? message
        if let statement { text += " (in: \(statement))" }
        return text
    }
}
