import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// File operations on cluster directories: a fast recursive copy and a removal.
///
/// The copy uses `sendfile` (in-kernel, no user-space buffers; `copy_file_range` is not
/// exported by Glibc's Swift module), falls back to read/write where the kernel refuses, keeps modes (PostgreSQL
/// insists on 0700 for the data directory), and gives every entry to `owner` when set
/// (Testbed as root copies a root-owned cache into a cluster owned by the server user).
enum ClusterFiles {
    /// Copies the tree at `source` to `destination`, which must not exist.
    ///
    /// Folders and links are made first, in order; then the files are copied by two
    /// threads (a cluster is ~1,500 files, and per-file system calls dominate).
    static func copyTree(from source: String, to destination: String, owner: UnixUser? = nil) throws(PostgresError) {
        var files: [(from: String, to: String, mode: mode_t, size: Int)] = []
        var folders: [(path: String, mode: mode_t)] = []
        try walk(source, destination, owner, &files, &folders)
        let lanes = files.count > 64 ? 2 : 1
        let list = files
        let failures = Mutex<[PostgresError]>([])
        DispatchQueue.concurrentPerform(iterations: lanes) { lane in
            for index in stride(from: lane, to: list.count, by: lanes) {
                let file = list[index]
                do throws(PostgresError) {
                    try copyFile(file.from, file.to, mode: file.mode, size: file.size)
                    if let owner, lchown(file.to, owner.uid, owner.gid) != 0 {
                        throw failure("cannot give \(file.to) to \(owner.name)")
                    }
                } catch {
                    failures.withLock { $0.append(error) }
                    return
                }
            }
        }
        if let first = failures.withLock({ $0.first }) { throw first }
        for folder in folders.reversed() { chmod(folder.path, folder.mode) }
    }

    /// Creates the folders and links of the tree, and lists its files.
    private static func walk(_ source: String, _ destination: String, _ owner: UnixUser?,
                             _ files: inout [(from: String, to: String, mode: mode_t, size: Int)],
                             _ folders: inout [(path: String, mode: mode_t)]) throws(PostgresError) {
        var info = stat()
        guard lstat(source, &info) == 0 else { throw failure("cannot read \(source)") }
        let mode = info.st_mode & 0o7777
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            guard mkdir(destination, 0o700) == 0 else { throw failure("cannot create \(destination)") }
            folders.append((destination, mode))
            guard let dir = opendir(source) else { throw failure("cannot read \(source)") }
            defer { closedir(dir) }
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
                }
                if name == "." || name == ".." || name == "postmaster.pid" { continue }
                try walk(source + "/" + name, destination + "/" + name, owner, &files, &folders)
            }
        case S_IFREG:
            files.append((source, destination, mode, Int(info.st_size)))
            return
        case S_IFLNK:
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(source, &buffer, buffer.count - 1)
            guard count >= 0, symlink(String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self), destination) == 0 else {
                throw failure("cannot copy the link \(source)")
            }
        default:
            return  // sockets and the like belong to a running server, not to the cluster's files
        }
        if let owner, lchown(destination, owner.uid, owner.gid) != 0 {
            throw failure("cannot give \(destination) to \(owner.name)")
        }
    }

    private static func copyFile(_ source: String, _ destination: String, mode: mode_t, size: Int) throws(PostgresError) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw failure("cannot open \(source)") }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard output >= 0 else { throw failure("cannot create \(destination)") }
        defer { close(output) }
        var remaining = size
        var useKernelCopy = true
        while remaining > 0 {
            if useKernelCopy {
                let copied = sendfile(output, input, nil, remaining)
                if copied > 0 { remaining -= copied; continue }
                if copied == 0 { break }
                if errno == EINTR { continue }
                if errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP {
                    useKernelCopy = false
                    continue
                }
                throw failure("cannot copy \(source)")
            }
            var buffer = [UInt8](repeating: 0, count: min(remaining, 1 << 20))
            let count = read(input, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            var written = 0
            while written < count {
                let result = buffer.withUnsafeBytes { write(output, $0.baseAddress! + written, count - written) }
                guard result > 0 else { throw failure("cannot write \(destination)") }
                written += result
            }
            remaining -= count
        }
    }

    /// Removes `path` and everything below it; missing is fine.
    static func remove(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR {
            if let dir = opendir(path) {
                var names: [String] = []
                while let entry = readdir(dir) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                        String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
                    }
                    if name != "." && name != ".." { names.append(name) }
                }
                closedir(dir)
                for name in names { remove(path + "/" + name) }
            }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    private static func failure(_ message: String) -> PostgresError {
        PostgresError(code: .cache, message: "\(message): \(String(cString: strerror(errno)))")
    }
}
