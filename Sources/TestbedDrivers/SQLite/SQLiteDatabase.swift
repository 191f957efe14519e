import CSQLite
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One connection to an SQLite database file, a thin Swift layer over libsqlite3.
///
/// Not thread-safe: use a connection from one task at a time (the C library is built
/// serialized, but statements and transactions belong to one caller). Every failure throws
/// ``SQLiteError``. The connection waits up to ``busyTimeout`` for locks other connections
/// hold, and closes when ``close()`` is called or the object goes away.
package final class SQLiteDatabase {
    /// How to open the file.
    package struct OpenFlags: OptionSet, Sendable {
        /// The `SQLITE_OPEN_*` bits passed to `sqlite3_open_v2`.
        package let rawValue: Int32
        /// Makes flags from `SQLITE_OPEN_*` bits.
        package init(rawValue: Int32) { self.rawValue = rawValue }

        /// Open for reading only; writes fail with ``SQLiteError/Code/readOnly``.
        package static let readOnly = OpenFlags(rawValue: SQLITE_OPEN_READONLY)
        /// Open for reading and writing; the file must exist unless ``create`` is also given.
        package static let readWrite = OpenFlags(rawValue: SQLITE_OPEN_READWRITE)
        /// Create the file if it does not exist (with ``readWrite``).
        package static let create = OpenFlags(rawValue: SQLITE_OPEN_CREATE)
        /// Read `path` as a `file:` URI.
        package static let uri = OpenFlags(rawValue: SQLITE_OPEN_URI)
    }

    /// How long a statement waits for another connection's lock before failing with `busy`.
    package static let busyTimeout: Duration = .seconds(5)

    /// The path (or `file:` URI, with ``OpenFlags/uri``) the connection was opened with.
    package let path: String
    private(set) var handle: OpaquePointer?

    /// Opens (and with `.create`, creates) the database at `path`.
    package init(path: String, flags: OpenFlags = [.readWrite, .create]) throws {
        self.path = path
        var db: OpaquePointer?
        let result = sqlite3_open_v2(path, &db, flags.rawValue | SQLITE_OPEN_NOMUTEX, nil)
        guard result == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(result))
            sqlite3_close_v2(db)
            throw SQLiteError(code: .init(result), message: "cannot open \(path): \(message)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, Int32(Self.busyTimeout.components.seconds * 1000))
    }

    deinit { close() }

    /// Closes the connection; statements still alive keep it until they are released.
    package func close() {
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    func connection() throws -> OpaquePointer {
        guard let handle else { throw SQLiteError(code: .misuse, message: "the connection to \(path) is closed") }
        return handle
    }

    /// The last error on this connection as a Swift error.
    func lastError(_ prefix: String = "") -> SQLiteError {
        guard let handle else { return SQLiteError(code: .misuse, message: "the connection to \(path) is closed") }
        return SQLiteError(code: .init(sqlite3_extended_errcode(handle)), message: prefix + String(cString: sqlite3_errmsg(handle)))
    }

    /// Runs every statement of `script` in order, discarding result rows.
    ///
    /// Statements are prepared one at a time (`sqlite3_prepare_v2` and its tail), so when one
    /// fails the thrown ``SQLiteError`` carries the script ``SQLiteError/line`` where it starts
    /// and its first line. Statements before it stay applied: wrap the call in a transaction
    /// for all-or-nothing.
    package func execute(_ script: String) throws {
        let db = try connection()
        let bytes = Array(script.utf8CString)
        try bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            let total = buffer.count - 1
            var offset = 0
            while offset < total {
                let start = offset
                var statement: OpaquePointer?
                var tail: UnsafePointer<CChar>?
                let prepared = sqlite3_prepare_v2(db, base + start, Int32(total - start), &statement, &tail)
                guard prepared == SQLITE_OK else {
                    throw located(lastError(), script: buffer, from: start)
                }
                offset = tail.map { $0 - base } ?? total
                guard let statement else { continue }
                defer { sqlite3_finalize(statement) }
                var stepped: Int32
                repeat { stepped = sqlite3_step(statement) } while stepped == SQLITE_ROW
                guard stepped == SQLITE_DONE else {
                    throw located(lastError(), script: buffer, from: start)
                }
            }
        }
    }

    /// Adds the line and first line of the statement that begins at `offset` (after whitespace
    /// and comments) to `error`.
    private func located(_ error: SQLiteError, script: UnsafeBufferPointer<CChar>, from offset: Int) -> SQLiteError {
        let bytes = UnsafeRawBufferPointer(script).bindMemory(to: UInt8.self)
        let end = script.count - 1
        var index = offset
        while index < end {
            let byte = bytes[index]
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C {
                index += 1
            } else if byte == UInt8(ascii: "-"), index + 1 < end, bytes[index + 1] == UInt8(ascii: "-") {
                while index < end, bytes[index] != 0x0A { index += 1 }
            } else if byte == UInt8(ascii: "/"), index + 1 < end, bytes[index + 1] == UInt8(ascii: "*") {
                index += 2
                while index + 1 < end, !(bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/")) { index += 1 }
                index = min(index + 2, end)
            } else {
                break
            }
        }
        let start = min(index, end)
        var located = error
        located.line = 1 + bytes[0..<start].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        var lineEnd = start
        while lineEnd < end, bytes[lineEnd] != 0x0A, bytes[lineEnd] != 0x0D { lineEnd += 1 }
        let first = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<lineEnd]), as: UTF8.self)
            .trimmingCharacters(in: .whitespaces)
        located.statement = first.count > 200 ? String(first.prefix(200)) + "…" : first
        return located
    }

    /// Compiles one statement for binding and stepping.
    package func prepare(_ sql: String) throws -> SQLiteStatement {
        let db = try connection()
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw lastError()
        }
        return SQLiteStatement(handle: statement, database: self)
    }

    /// Runs one statement with `parameters` and returns all its rows.
    package func query(_ sql: String, _ parameters: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        let statement = try prepare(sql)
        try statement.bind(parameters)
        var rows: [[SQLiteValue]] = []
        while try statement.step() {
            rows.append((0..<statement.columnCount).map { statement.column($0) })
        }
        return rows
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    package var changes: Int { handle.map { Int(sqlite3_changes($0)) } ?? 0 }

    /// Writes a consistent copy of this database to `path` (created or overwritten) with the
    /// online backup API.
    package func backup(to path: String) throws {
        let destination = try SQLiteDatabase(path: path)
        try Self.copy(from: self, to: destination)
        destination.close()
    }

    /// Replaces this database's content with the database at `path`, through the backup API,
    /// so other connections to this file see the change safely.
    package func restore(from path: String) throws {
        let source = try SQLiteDatabase(path: path, flags: .readOnly)
        try Self.copy(from: source, to: self)
        source.close()
    }

    private static func copy(from source: SQLiteDatabase, to destination: SQLiteDatabase) throws {
        let sourceHandle = try source.connection()
        let destinationHandle = try destination.connection()
        guard let backup = sqlite3_backup_init(destinationHandle, "main", sourceHandle, "main") else {
            throw destination.lastError("backup from \(source.path) to \(destination.path) failed: ")
        }
        // BUSY comes back only after the connection's busy timeout; LOCKED (a lock of this
        // process's own shared cache) is retried for a short while.
        var result: Int32
        var lockedRetries = 0
        repeat {
            result = sqlite3_backup_step(backup, -1)
            if result == SQLITE_LOCKED, lockedRetries < 1000 {
                lockedRetries += 1
                sqlite3_sleep(1)
                result = SQLITE_OK
            }
        } while result == SQLITE_OK
        sqlite3_backup_finish(backup)
        guard result == SQLITE_DONE else {
            throw SQLiteError(code: .init(result),
                              message: "backup from \(source.path) to \(destination.path) failed: \(String(cString: sqlite3_errstr(result)))")
        }
    }
}
