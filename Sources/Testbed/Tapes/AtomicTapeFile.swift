import Foundation

/// Replaces a file by writing a temporary sibling and renaming it over the original.
struct AtomicTapeFile {
    let url: URL
    /// Runs after the temporary file is complete and before the rename; tests throw from it
    /// to prove that a failure at the last step leaves the old file as it was.
    var beforeRename: () throws -> Void = {}

    func write(_ bytes: [UInt8]) throws(TapeError) {
        let path = url.path
        let folder = url.deletingLastPathComponent().path
        var temporary = ""
        var fd: Int32 = -1
        for _ in 0..<16 where fd < 0 {
            let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
            temporary = folder + "/." + url.lastPathComponent + ".tmp-" + suffix
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            if fd < 0 && errno != EEXIST { break }
        }
        guard fd >= 0 else {
            throw TapeError(.unwritable, file: path, "cannot create a temporary file in \(folder): \(errnoText())")
        }
        var written = 0
        var failure: String?
        if fchmod(fd, 0o644) != 0 { failure = "cannot set the mode of \(temporary): \(errnoText())" }
        bytes.withUnsafeBytes { buffer in
            while failure == nil, written < buffer.count {
                let result = Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = "cannot write \(temporary): \(errnoText())"
                    return
                }
                written += result
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = "cannot flush \(temporary) to disk: \(errnoText())" }
        if close(fd) != 0, failure == nil { failure = "cannot close \(temporary): \(errnoText())" }
        if failure == nil {
            do { try beforeRename() } catch { failure = "\(error)" }
        }
        if failure == nil, rename(temporary, path) != 0 {
            failure = "cannot rename \(temporary) to \(path): \(errnoText())"
        }
        if let failure {
            unlink(temporary)
            throw TapeError(.unwritable, file: path, failure + "; the previous tape, if any, is unchanged")
        }
        let directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }
}
