import Foundation
import TestbedSystem

/// Replaces a file by writing a temporary sibling and renaming it over the original, both
/// relative to the folder's descriptor (``TapeFolder``): nobody can redirect the write into
/// another folder by swapping a folder on the way for a symbolic link.
package struct AtomicTapeFile {
    let url: URL
    /// The new file's mode before the umask: 0600 (only this account reads the tape), or
    /// 0644 for a tape shared with the machine's other accounts. The umask may only narrow it.
    var permissions: mode_t = 0o600
    /// Creates the missing folders on the way (mode 0755).
    var createFolders = false
    /// Runs after the temporary file is complete and before the rename; tests throw from it
    /// to prove that a failure at the last step leaves the old file as it was.
    var beforeRename: () throws -> Void = {}

    package init(url: URL, permissions: mode_t = 0o600, createFolders: Bool = false,
                 beforeRename: @escaping () throws -> Void = {}) {
        self.url = url
        self.permissions = permissions
        self.createFolders = createFolders
        self.beforeRename = beforeRename
    }

    package func write(_ bytes: [UInt8]) throws(TapeError) {
        let path = url.path
        let folder = try TapeFolder.open(path, create: createFolders, followLast: false)
        var temporary = ""
        var fd: Int32 = -1
        for _ in 0..<16 where fd < 0 {
            let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
            temporary = "." + folder.name + ".tmp-" + suffix
            fd = openat(folder.descriptor, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, permissions)
            if fd < 0 && errno != EEXIST { break }
        }
        guard fd >= 0 else {
            throw TapeError(.unwritable, file: path, "cannot create a temporary file in \(folder.path): \(errnoText())")
        }
        var written = 0
        var failure: String?
        bytes.withUnsafeBytes { buffer in
            while failure == nil, written < buffer.count {
                let result = Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = "cannot write \(folder.path)/\(temporary): \(errnoText())"
                    return
                }
                written += result
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = "cannot flush \(folder.path)/\(temporary) to disk: \(errnoText())" }
        if close(fd) != 0, failure == nil { failure = "cannot close \(folder.path)/\(temporary): \(errnoText())" }
        if failure == nil {
            do { try beforeRename() } catch { failure = "\(error)" }
        }
        if failure == nil, renameat(folder.descriptor, temporary, folder.descriptor, folder.name) != 0 {
            failure = "cannot rename \(folder.path)/\(temporary) to \(folder.name): \(errnoText())"
        }
        if let failure {
            unlinkat(folder.descriptor, temporary, 0)
            throw TapeError(.unwritable, file: path, failure + "; the previous tape, if any, is unchanged")
        }
        fsync(folder.descriptor)
    }
}
