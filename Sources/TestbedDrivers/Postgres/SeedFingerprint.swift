import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import TestbedSeed

/// Content hashes of seed files, remembered for the life of the process while a file's
/// identity and change times are unchanged, so a test suite that starts the same
/// cluster many times hashes a 3 MB fixture once.
///
/// The memo is keyed by device, inode, size, and modification and change times in
/// nanoseconds: any write to the file changes `ctime`. Folders are always hashed.
enum SeedFingerprint {
    private static let memo = Mutex<[String: String]>([:])

    /// The content hash of the file (or folder) at `path`. Throws when it is unreadable.
    static func hash(of path: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        let isFile = info.st_mode & S_IFMT == S_IFREG
        let identity = [
            path, String(info.st_dev), String(info.st_ino), String(info.st_size),
            String(info.st_mtim.tv_sec), String(info.st_mtim.tv_nsec), String(info.st_ctim.tv_sec), String(info.st_ctim.tv_nsec),
        ].joined(separator: ":")
        if isFile, let known = memo.withLock({ $0[identity] }) { return known }
        var hash = ContentHash()
        try hash.update(file: path)
        let result = hash.hex
        if isFile { memo.withLock { $0[identity] = result } }
        return result
    }
}
