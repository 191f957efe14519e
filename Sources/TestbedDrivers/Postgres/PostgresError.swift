import TestbedSystem
/// A PostgreSQL failure: a server error (with its SQLSTATE and fields), a lost
/// connection, missing server binaries, or a cluster that would not start.
///
/// The message always says what happened; ``hint`` (from the server or from Testbed)
/// says what to do next.
package struct PostgresError: TestbedError {
    /// What kind of failure this is; extensible, compare with `==`.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's short name, e.g. `connection`.
        package var name: String
        /// Makes a code; Testbed's own are the static members such as ``connection``.
        public init(_ name: String) { self.name = name }
        /// The code's short name.
        public var description: String { name }

        /// The server rejected a statement (see ``PostgresError/sqlstate``).
        package static let server = Code("server")
        /// The connection could not be made or was lost.
        package static let connection = Code("connection")
        /// No usable `initdb`/`postgres` binaries were found.
        package static let installation = Code("installation")
        /// The server exited or did not become ready.
        package static let startup = Code("startup")
        /// The account to run the server as is missing or cannot reach its files.
        package static let account = Code("account")
        /// Building or copying a cached cluster failed.
        package static let cache = Code("cache")
        /// A cache entry failed its integrity check (it is deleted and rebuilt).
        package static let damagedCache = Code("damaged-cache")
        /// A write failed because the file system is full (`ENOSPC`).
        package static let diskFull = Code("disk-full")
    }

    /// What kind of failure this is.
    package var code: Code
    /// The primary message (the server's own, for server errors).
    package var message: String
    /// Five-character SQLSTATE, for server errors.
    package var sqlstate: String?
    /// The server's DETAIL field, when it sent one.
    package var detail: String?
    /// What to do next: the server's HINT, or Testbed's own advice.
    package var hint: String?
    /// 1-based character position in the query string the server reported, if any.
    package var position: Int?
    /// The server's context line (e.g. `COPY users, line 3`).
    package var context: String?
    /// For a multi-statement script: how many statements completed before this error.
    package var completedStatements: Int = 0
    /// The last lines of the server's log, for startup failures.
    package var logLines: [String] = []

    /// Makes an error; ``completedStatements`` starts at 0 and is set when a script fails.
    package init(code: Code, message: String, sqlstate: String? = nil, detail: String? = nil,
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
    package var description: String {
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
