import CLibPQ
import Foundation

/// Testbed's small built-in PostgreSQL client: one libpq connection, for the driver's
/// own work (seeding, template databases, resets and clones, the `sql` health check,
/// setting a run's password). Not a general client: internal, text results only, no
/// pooling, no async API; tests and applications use their own driver with `${db.url}`.
///
/// Used from one task at a time (it is deliberately not Sendable). Every call is
/// synchronous and blocks its thread for the round trip, so the rule of the whole
/// library applies: blocking work — libpq calls, file copies, `/proc` polls — runs on
/// ``BlockingWork``'s threads (``BlockingWork/run(_:)``, ``BlockingWork/executor``),
/// never on the Swift concurrency pool or Dispatch's global queues. Errors are
/// ``PostgresError``; no libpq type leaves this file and its `+Copy` extension.
final class PGConnection {
    private var connection: OpaquePointer?

    /// Connects with `key=value` connection parameters (`host`, `port`, `user`, `dbname`, ...).
    ///
    /// Throws ``PostgresError`` with code `.connection` when the server cannot be reached
    /// or refuses the login.
    convenience init(parameters: [String: String]) throws(PostgresError) {
        try self.init(parameters: parameters, expandDatabase: false)
    }

    private init(parameters: [String: String], expandDatabase: Bool) throws(PostgresError) {
        let keys = parameters.keys.sorted()
        let cKeys = keys.map { strdup($0) } + [nil]
        let cValues = keys.map { strdup(parameters[$0]!) } + [nil]
        defer {
            cKeys.forEach { free($0) }
            cValues.forEach { free($0) }
        }
        let conn = cKeys.map { UnsafePointer($0) }.withUnsafeBufferPointer { keyBuffer in
            cValues.map { UnsafePointer($0) }.withUnsafeBufferPointer { valueBuffer in
                PQconnectdbParams(keyBuffer.baseAddress, valueBuffer.baseAddress, expandDatabase ? 1 : 0)
            }
        }
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            let message = conn.map { Self.trimmed(PQerrorMessage($0)) } ?? "out of memory"
            PQfinish(conn)
            throw PostgresError(code: .connection, message: "cannot connect to PostgreSQL: \(message)")
        }
        // libpq prints notices (e.g. "table does not exist, skipping") to stderr by default.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        self.connection = conn
    }

    /// Connects through the Unix socket in `socketDirectory`.
    convenience init(socketDirectory: String, port: Int, user: String, database: String,
                            password: String? = nil) throws(PostgresError) {
        var parameters = ["host": socketDirectory, "port": String(port), "user": user, "dbname": database]
        if let password, !password.isEmpty { parameters["password"] = password }
        try self.init(parameters: parameters)
    }

    /// Connects with a libpq connection string or URL.
    convenience init(conninfo: String) throws(PostgresError) {
        try self.init(parameters: ["dbname": conninfo], expandDatabase: true)
    }

    deinit { close() }

    /// Closes the connection; later calls throw `.connection` errors.
    func close() {
        if let connection { PQfinish(connection) }
        connection = nil
    }

    /// Runs a script of one or more statements in a single round trip.
    ///
    /// Without explicit `BEGIN`/`COMMIT`, the server runs a multi-statement script as one
    /// implicit transaction: all or nothing. On failure the error's
    /// ``PostgresError/completedStatements`` counts the statements that ran before the
    /// failing one (a syntax error fails the whole script before any runs, with a
    /// ``PostgresError/position``). `COPY ... FROM STDIN` inside a script is refused.
    func execute(_ sql: String) throws(PostgresError) {
        let conn = try live()
        guard PQsendQuery(conn, sql) == 1 else { throw connectionError(conn) }
        var completed = 0
        var failure: PostgresError?
        while let result = PQgetResult(conn) {
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
                completed += 1
            case PGRES_COPY_IN:
                PQputCopyEnd(conn, "COPY FROM STDIN is not supported in SQL seed files; use a csv seed step")
            case PGRES_COPY_OUT:
                while true {
                    var buffer: UnsafeMutablePointer<CChar>?
                    let count = PQgetCopyData(conn, &buffer, 0)
                    if let buffer { PQfreemem(buffer) }
                    if count < 0 { break }
                }
            default:
                if failure == nil {
                    var error = Self.error(from: result, conn: conn)
                    error.completedStatements = completed
                    failure = error
                }
            }
        }
        if let failure { throw failure }
        if PQstatus(conn) != CONNECTION_OK { throw connectionError(conn) }
    }

    /// Runs one statement, with `$1`, `$2`, ... bound to `parameters` (nil is NULL), and
    /// returns its rows as text.
    @discardableResult
    func query(_ sql: String, parameters: [String?] = []) throws(PostgresError) -> [[String?]] {
        let conn = try live()
        let cValues = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { cValues.forEach { free($0) } }
        let result = cValues.map { UnsafePointer($0) }.withUnsafeBufferPointer { values in
            PQexecParams(conn, sql, Int32(parameters.count), nil, values.baseAddress, nil, nil, 0)
        }
        guard let result else { throw connectionError(conn) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return []
        case PGRES_TUPLES_OK:
            let rows = PQntuples(result)
            let columns = PQnfields(result)
            return (0..<rows).map { row in
                (0..<columns).map { column in
                    PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
                }
            }
        default:
            throw Self.error(from: result, conn: conn)
        }
    }

    /// The SCRAM-SHA-256 verifier of `password` for `user`, computed here (libpq's
    /// `PQencryptPasswordConn`), so that `ALTER ROLE ... PASSWORD` never carries the
    /// password itself to the server (or its log).
    func scramVerifier(password: String, user: String) throws(PostgresError) -> String {
        let conn = try live()
        guard let verifier = PQencryptPasswordConn(conn, password, user, "scram-sha-256") else {
            throw connectionError(conn)
        }
        defer { PQfreemem(verifier) }
        return String(cString: verifier)
    }

    // MARK: - Internals shared with the COPY extension

    func live() throws(PostgresError) -> OpaquePointer {
        guard let connection else {
            throw PostgresError(code: .connection, message: "the connection is closed")
        }
        return connection
    }

    func connectionError(_ conn: OpaquePointer) -> PostgresError {
        PostgresError(code: .connection, message: Self.trimmed(PQerrorMessage(conn)))
    }

    static func error(from result: OpaquePointer, conn: OpaquePointer) -> PostgresError {
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        guard let message = field("M") else {
            let text = trimmed(PQresultErrorMessage(result))
            return PostgresError(code: .connection, message: text.isEmpty ? trimmed(PQerrorMessage(conn)) : text)
        }
        return PostgresError(
            code: .server, message: message, sqlstate: field("C"), detail: field("D"), hint: field("H"),
            position: field("P").flatMap { Int($0) }, context: field("W"))
    }

    static func trimmed(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "" }
        return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Quotes `name` as an SQL identifier: `"my ""table"""`.
package func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// Quotes `text` as an SQL string literal: `'it''s'`.
package func quoteLiteral(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
}
