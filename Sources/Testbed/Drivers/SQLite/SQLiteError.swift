/// An SQLite call failed: the result code, SQLite's message, and for scripts where it failed.
public struct SQLiteError: TestbedError, Hashable {
    /// An SQLite result code (extended where SQLite gives one; see sqlite.org/rescode.html).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The numeric result code, including extended bits (e.g. 2067 for `SQLITE_CONSTRAINT_UNIQUE`).
        public var rawValue: Int32
        /// Wraps a result code returned by libsqlite3.
        public init(_ rawValue: Int32) { self.rawValue = rawValue }

        /// The primary code (the low 8 bits), e.g. ``constraint`` for `SQLITE_CONSTRAINT_DATATYPE`.
        public var primary: Code { Code(rawValue & 0xFF) }

        /// `SQLITE_ERROR`: a generic error, such as an SQL syntax error or a missing table.
        public static let error = Code(1)
        /// `SQLITE_BUSY`: another connection held a lock longer than ``SQLiteDatabase/busyTimeout``.
        public static let busy = Code(5)
        /// `SQLITE_READONLY`: a write to a database opened read-only or a read-only file.
        public static let readOnly = Code(8)
        /// `SQLITE_IOERR`: a read, write or rename failed at the operating-system level.
        public static let ioError = Code(10)
        /// `SQLITE_CORRUPT`: the file is damaged (also used when `quick_check` finds problems).
        public static let corrupt = Code(11)
        /// `SQLITE_CANTOPEN`: the file or its folder cannot be opened or created.
        public static let cantOpen = Code(14)
        /// `SQLITE_CONSTRAINT`: a constraint failed; errors carry the extended code, so compare ``primary``.
        public static let constraint = Code(19)
        /// `SQLITE_MISMATCH`: a value of the wrong type, e.g. a non-integer for an `INTEGER PRIMARY KEY`.
        public static let mismatch = Code(20)
        /// `SQLITE_MISUSE`: the API was used wrongly; Testbed also uses it for a closed connection or bad options.
        public static let misuse = Code(21)
        /// `SQLITE_NOTADB`: the file exists but is not an SQLite database.
        public static let notADatabase = Code(26)
        /// `SQLITE_CONSTRAINT_DATATYPE`: a value of the wrong type for a STRICT table's column.
        public static let constraintDatatype = Code(19 | (12 << 8))

        /// `SQLite error N`, with the raw (possibly extended) code.
        public var description: String { "SQLite error \(rawValue)" }
    }

    /// The result code; extended where SQLite reports one, so compare `code.primary` with the primary codes.
    public var code: Code
    /// What went wrong: SQLite's own message, or Testbed's.
    public var message: String
    /// For ``SQLiteDatabase/execute(_:)``: 1-based line in the script where the failing
    /// statement starts (after leading comments).
    public var line: Int?
    /// For ``SQLiteDatabase/execute(_:)``: the first line of the failing statement.
    public var statement: String?

    /// Makes an error; `line` and `statement` are for failures inside a script.
    public init(code: Code, message: String, line: Int? = nil, statement: String? = nil) {
        self.code = code
        self.message = message
        self.line = line
        self.statement = statement
    }

    /// The message, prefixed with the script line and followed by the statement when known.
    public var description: String {
        var text = line.map { "line \($0): \(message)" } ?? message
        if let statement { text += " (in: \(statement))" }
        return text
    }
}
