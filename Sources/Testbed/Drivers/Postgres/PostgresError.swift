/// A PostgreSQL failure: a server error (with its SQLSTATE and fields), a lost
/// connection, missing server binaries, or a cluster that would not start.
///
/// The message always says what happened; ``hint`` (from the server or from Testbed)
/// says what to do next.
public struct PostgresError: TestbedError {
    /// What kind of failure this is; extensible, compare with `==`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's short name, e.g. `connection`.
        public var name: String
        /// Makes a code; Testbed's own are the static members such as ``connection``.
        public init(_ name: String) { self.name = name }
        /// The code's short name.
        public var description: String { name }

        /// The server rejected a statement (see ``PostgresError/sqlstate``).
        public static let server = Code("server")
        /// The connection could not be made or was lost.
        public static let connection = Code("connection")
        /// No usable `initdb`/`postgres` binaries were found.
        public static let installation = Code("installation")
        /// The server exited or did not become ready.
        public static let startup = Code("startup")
        /// The account to run the server as is missing or cannot reach its files.
        public static let account = Code("account")
        /// Building or copying a cached cluster failed.
        public static let cache = Code("cache")
        /// A cache entry failed its integrity check (it is deleted and rebuilt).
        public static let damagedCache = Code("damaged-cache")
        /// A write failed because the file system is full (`ENOSPC`).
        public static let diskFull = Code("disk-full")
    }

    /// What kind of failure this is.
    public var code: Code
    /// The primary message (the server's own, for server errors).
    public var message: String
    /// Five-character SQLSTATE, for server errors.
    public var sqlstate: String?
    /// The server's DETAIL field, when it sent one.
    public var detail: String?
    /// What to do next: the server's HINT, or Testbed's own advice.
    public var hint: String?
    /// 1-based character position in the query string the server reported, if any.
    public var position: Int?
    /// The server's context line (e.g. `COPY users, line 3`).
    public var context: String?
    /// For a multi-statement script: how many statements completed before this error.
    public var completedStatements: Int = 0
    /// The last lines of the server's log, for startup failures.
    public var logLines: [String] = []

    /// Makes an error; ``completedStatements`` starts at 0 and is set when a script fails.
    public init(code: Code, message: String, sqlstate: String? = nil, detail: String? = nil,
                hint: String? = nil, position: Int? = nil, context: String? = nil, logLines: [String] = []) {
        self.code = code
        self.message = message
        self.sqlstate = sqlstate
        self.detail = detail
        self.hint = hint
        self.position = position
        self.context = context
        self.logLines = logLines
    }

    /// The message, then SQLSTATE, detail, context, hint and server log lines, as the user sees them.
    public var description: String {
        var text = message
        if let sqlstate { text += " (SQLSTATE \(sqlstate))" }
        if let detail { text += "\n    detail: \(detail)" }
        if let context { text += "\n    context: \(context)" }
        text += Self.hintLine(hint)
        if !logLines.isEmpty {
            text += "\n    last lines of the server log:"
            for line in logLines { text += "\n      \(line)" }
        }
        return text
    }
}
