/// An SQLite call failed: the result code, SQLite's message, and for scripts where it failed.
public struct SQLiteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An SQLite result code (extended where SQLite gives one; see sqlite.org/rescode.html).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public var rawValue: Int32
        public init(_ rawValue: Int32) { self.rawValue = rawValue }

        /// The primary code (the low 8 bits), e.g. ``constraint`` for `SQLITE_CONSTRAINT_DATATYPE`.
        public var primary: Code { Code(rawValue & 0xFF) }

        public static let error = Code(1)
        public static let busy = Code(5)
        public static let readOnly = Code(8)
        public static let ioError = Code(10)
        public static let corrupt = Code(11)
        public static let cantOpen = Code(14)
        public static let constraint = Code(19)
        public static let mismatch = Code(20)
        public static let misuse = Code(21)
        public static let notADatabase = Code(26)
        /// `SQLITE_CONSTRAINT_DATATYPE`: a value of the wrong type for a STRICT table's column.
        public static let constraintDatatype = Code(19 | (12 << 8))

        public var description: String { "SQLite error \(rawValue)" }
    }

    public var code: Code
    public var message: String
    /// For ``SQLiteDatabase/execute(_:)``: 1-based line in the script where the failing
    /// statement starts (after leading comments).
    public var line: Int?
    /// For ``SQLiteDatabase/execute(_:)``: the first line of the failing statement.
    public var statement: String?

    public init(code: Code, message: String, line: Int? = nil, statement: String? = nil) {
        self.code = code
        self.message = message
        self.line = line
        self.statement = statement
    }

    public var description: String {
        var text = line.map { "line \($0): \(message)" } ?? message
        if let statement { text += " (in: \(statement))" }
        return text
    }
}
