import Foundation
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
    static func copyTree(from source: String, to destination: String, owner: UnixUser? = nil) throws(PostgresError) {
        var info = stat()
        guard lstat(source, &info) == 0 else { throw failure("cannot read \(source)") }
        try copyEntry(source, destination, info, owner)
    }

    private static func copyEntry(_ source: String, _ destination: String, _ info: stat,
                                  _ owner: UnixUser?) throws(PostgresError) {
        let mode = info.st_mode & 0o7777
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            guard mkdir(destination, mode) == 0 else { throw failure("cannot create \(destination)") }
            guard let dir = opendir(source) else { throw failure("cannot read \(source)") }
            defer { closedir(dir) }
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
                }
                if name == "." || name == ".." || name == "postmaster.pid" { continue }
                var child = stat()
                let from = source + "/" + name
                guard lstat(from, &child) == 0 else { throw failure("cannot read \(from)") }
                try copyEntry(from, destination + "/" + name, child, owner)
            }
            chmod(destination, mode)
        case S_IFREG:
            try copyFile(source, destination, mode: mode, size: Int(info.st_size))
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
