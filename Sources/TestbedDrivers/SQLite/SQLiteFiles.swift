import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

/// The few file operations the SQLite driver needs, with errors as ``SQLiteError``.
package enum SQLiteFiles {
    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw SQLiteError(code: .cantOpen, message: "cannot create the folder \(path): \(error.localizedDescription)")
        }
    }

    /// Removes a database file and its journal, WAL and shared-memory files, if present.
    package static func removeDatabase(_ path: String) {
        for suffix in ["", "-journal", "-wal", "-shm"] { unlink(path + suffix) }
    }

    /// Copies `source` to `destination` atomically: into a temporary file beside it, then
    /// `rename`, so a reader never sees half a file. Stale `-wal`/`-shm`/`-journal` files at
    /// the destination are removed first (SQLite would replay them into the new file).
    /// The copy is a reflink clone where both are on one reflink file system and `best`
    /// allows it (see ``FileClone``); returns the method used.
    @discardableResult
    static func copyDatabase(from source: String, to destination: String, best: CloneMethod = .reflink) throws -> CloneMethod {
        let folder = (destination as NSString).deletingLastPathComponent
        try makeDirectory(folder.isEmpty ? "." : folder)
        let temporary = "\(destination).testbed-\(getpid())-\(UUID().uuidString.prefix(8))"
        let method: CloneMethod
        do {
            method = try copyBytes(from: source, to: temporary, best: best)
        } catch {
            unlink(temporary)
            throw error
        }
        for suffix in ["-journal", "-wal", "-shm"] { unlink(destination + suffix) }
        guard rename(temporary, destination) == 0 else {
            let reason = errnoText()
            unlink(temporary)
            throw SQLiteError(code: .ioError, message: "cannot move the database into \(destination): \(reason)")
        }
        return method
    }

    /// Moves `source` to `destination` (same file system).
    static func move(_ source: String, to destination: String) throws {
        guard rename(source, destination) == 0 else {
            throw SQLiteError(code: .ioError, message: "cannot rename \(source) to \(destination): \(errnoText())")
        }
    }

    private static func copyBytes(from source: String, to destination: String, best: CloneMethod) throws -> CloneMethod {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else {
            throw SQLiteError(code: .cantOpen, message: "cannot open \(source): \(errnoText())")
        }
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0 else {
            throw SQLiteError(code: .ioError, message: "cannot read \(source): \(errnoText())")
        }
        let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard output >= 0 else {
            throw SQLiteError(code: .cantOpen, message: "cannot create \(destination): \(errnoText())")
        }
        defer { close(output) }
        do {
            return try FileClone.copy(from: input, to: output, size: Int(info.st_size), best: best)
        } catch {
            throw SQLiteError(code: .ioError, message: "cannot copy \(source) to \(destination): \(error)")
        }
    }
}
