import CLibPQ
import Foundation

extension PGConnection {
    /// Runs `COPY ... FROM STDIN ...` and streams `chunks` to the server.
    ///
    /// Returns the number of rows copied. A bad row fails the whole COPY (nothing is
    /// kept); its line is in the error's ``PostgresError/context`` (`COPY t, line 3`).
    @discardableResult
    func copyIn<Chunks: Sequence>(sql: String, chunks: Chunks) throws(PostgresError) -> Int
    where Chunks.Element == Data {
        let conn = try live()
        guard let start = PQexec(conn, sql) else { throw connectionError(conn) }
        let status = PQresultStatus(start)
        if status != PGRES_COPY_IN {
            defer { PQclear(start) }
            if status == PGRES_FATAL_ERROR { throw Self.error(from: start, conn: conn) }
            throw PostgresError(code: .server, message: "not a COPY FROM STDIN statement: \(sql)")
        }
        PQclear(start)
        for chunk in chunks {
            let sent = chunk.withUnsafeBytes { bytes -> Int32 in
                guard let base = bytes.baseAddress else { return 1 }
                return PQputCopyData(conn, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
            }
            // A server-side error makes the send fail; the result below carries the message.
            if sent != 1 { break }
        }
        PQputCopyEnd(conn, nil)
        var rows = 0
        var failure: PostgresError?
        while let result = PQgetResult(conn) {
            defer { PQclear(result) }
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                rows = Int(String(cString: PQcmdTuples(result))) ?? 0
            } else if failure == nil {
                failure = Self.error(from: result, conn: conn)
            }
        }
        if let failure { throw failure }
        return rows
    }
}

/// A file read in chunks (for COPY), so large fixtures are never loaded whole.
struct FileChunks: Sequence, IteratorProtocol {
    private let handle: FileHandle?
    private let size: Int

    init(path: String, chunkSize: Int = 1 << 20) {
        self.handle = FileHandle(forReadingAtPath: path)
        self.size = chunkSize
    }

    mutating func next() -> Data? {
        guard let handle, let data = try? handle.read(upToCount: size), !data.isEmpty else {
            try? handle?.close()
            return nil
        }
        return data
    }
}
