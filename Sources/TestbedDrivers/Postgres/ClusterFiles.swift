import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

/// File operations on cluster directories: a fast recursive copy and a removal, both
/// safe for root to run on a tree that another account owns.
///
/// A cluster's files belong to the server account, which (as root) is not the caller:
/// that account may replace any entry of its tree with a link, a FIFO or another folder
/// at any moment. So every entry is reached from the descriptor of its folder with
/// `O_NOFOLLOW` (`openat`, `fstatat`, `unlinkat`): a link is copied or removed as a link
/// and never followed, a FIFO is refused without blocking. A copy is made as the caller,
/// inside a top folder only the caller can enter (0700), and given to `owner` at the
/// end, the top last: the owner never reaches a half-made tree.
///
/// Files are cloned by reflink when the caller allows it (the cache and the run share a
/// reflink file system, see ``StorageBackend``), else copied with `sendfile` (in-kernel,
/// no user-space buffers), falling back to read/write where the kernel refuses (see
/// ``FileClone``); modes are kept (PostgreSQL insists on 0700 for the data directory).
enum ClusterFiles {
    private struct SourceFile {
        var folder: Int32
        var name: String
        var destination: String
        var size: UInt64
    }

    /// Copies the tree at `source` to `destination`, which must not exist and whose
    /// parent no other account may write. Throws `.diskFull` with both sizes before any
    /// file is copied when the files do not fit.
    ///
    /// Folders and links are made first, in order; then the files are copied by two
    /// threads, largest first (a cluster is ~1,500 files, and per-file system calls dominate). `best` is
    /// the strongest method tried per file (`.reflink`: a clone that shares the source's
    /// extents, checked for room only as metadata); returns the weakest method a file used.
    /// Entries at the relative paths `excluding` (and below) are left out.
    @discardableResult
    static func copyTree(from source: String, to destination: String, owner: UnixUser? = nil,
                         best: CloneMethod = .copy, excluding: Set<String> = []) throws(PostgresError) -> CloneMethod {
        let top = open(source, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard top >= 0 else { throw failure("cannot read \(source)") }
        var descriptors = [top]
        defer { descriptors.forEach { close($0) } }
        var info = stat()
        guard fstat(top, &info) == 0 else { throw failure("cannot read \(source)") }
        guard mkdir(destination, 0o700) == 0 else { throw failure("cannot create \(destination)") }
        var files: [SourceFile] = []
        var made: [(path: String, mode: mode_t?)] = [(destination, info.st_mode & 0o7777)]
        let skipped = Set(excluding.map { destination + "/" + $0 })
        try walk(top, destination, &descriptors, &files, &made, skipped)
        // A copy that cannot fit fails here with both sizes, not halfway with ENOSPC.
        if best != .reflink {
            try FreeSpace.check(need: files.reduce(0) { $0 + $1.size }, extra: 0, at: destination, for: "a copy of \(source)")
        }
        // Largest first: a large copy does not hold up a lane's share.
        let used = Mutex(best)
        try BlockingWork.forEach(files.sorted { $0.size > $1.size }, lanes: files.count > 64 ? 2 : 1) { file throws(PostgresError) in
            let method = try copyFile(file, owner: owner, best: best)
            if method < best { used.withLock { $0 = min($0, method) } }
        }
        try finish(made, owner: owner)
        return used.withLock { $0 }
    }

    /// Creates the folders and links below the folder `source` (a descriptor), and lists its files.
    private static func walk(_ source: Int32, _ destination: String, _ descriptors: inout [Int32],
                             _ files: inout [SourceFile], _ made: inout [(path: String, mode: mode_t?)],
                             _ skipped: Set<String>) throws(PostgresError) {
        for name in DirectoryEntries.names(in: source) where name != "postmaster.pid" {
            let target = destination + "/" + name
            if skipped.contains(target) { continue }
            var info = stat()
            guard fstatat(source, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { throw failure("cannot read \(target)") }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                let folder = openat(source, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard folder >= 0 else { throw failure("cannot read the folder \(name) (it changed during the copy?)") }
                descriptors.append(folder)
                guard mkdir(target, 0o700) == 0 else { throw failure("cannot create \(target)") }
                made.append((target, info.st_mode & 0o7777))
                try walk(folder, target, &descriptors, &files, &made, skipped)
            case S_IFREG:
                files.append(SourceFile(folder: source, name: name, destination: target, size: UInt64(info.st_size)))
            case S_IFLNK:
                guard let link = readLink(source, name), symlink(link, target) == 0 else {
                    throw failure("cannot copy the link \(target)")
                }
                made.append((target, nil))
            default:
                continue  // sockets and the like belong to a running server, not to the cluster's files
            }
        }
    }

    /// Sets the folders' modes, then gives every folder and link to `owner`, the top last.
    static func finish(_ made: [(path: String, mode: mode_t?)], owner: UnixUser?) throws(PostgresError) {
        for entry in made.reversed() {
            if let mode = entry.mode { chmod(entry.path, mode) }
        }
        guard let owner else { return }
        for entry in made.reversed() where lchown(entry.path, owner.uid, owner.gid) != 0 {
            throw failure("cannot give \(entry.path) to \(owner.name)")
        }
    }

    private static func copyFile(_ file: SourceFile, owner: UnixUser?, best: CloneMethod) throws(PostgresError) -> CloneMethod {
        // O_NONBLOCK: a FIFO planted in place of a file must not hang the copy.
        let input = openat(file.folder, file.name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard input >= 0 else { throw failure("cannot open \(file.destination) (source)") }
        defer { close(input) }
        return try copyOpened(input, name: file.name, to: file.destination, mode: nil, owner: owner, best: best)
    }

    /// Copies the open file `input` (`name`, for messages), which must still be a regular
    /// file, into the new file `destination` (its mode `mode`, else the source's), given to
    /// `owner`: a reflink clone when `best` is and the file system allows it.
    static func copyOpened(_ input: Int32, name: String, to destination: String, mode: mode_t?, owner: UnixUser?,
                           best: CloneMethod) throws(PostgresError) -> CloneMethod {
        var info = stat()
        guard fstat(input, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw failure("\(name) is no longer a regular file")
        }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode ?? info.st_mode & 0o7777)
        guard output >= 0 else { throw failure("cannot create \(destination)") }
        defer { close(output) }
        let method: CloneMethod
        do {
            method = try FileClone.copy(from: input, to: output, size: Int(info.st_size), best: best)
        } catch {
            errno = error.code
            throw failure("cannot copy to \(destination)")
        }
        if let owner, fchown(output, owner.uid, owner.gid) != 0 {
            throw failure("cannot give \(destination) to \(owner.name)")
        }
        return method
    }

    /// Removes `path` and everything below it; missing is fine.
    ///
    /// The parent of `path` must be a folder no other account can write. Below it,
    /// nothing is followed: each entry is removed from its folder's descriptor, a link
    /// as a link, so a tree whose owner plants links removes only the links.
    static func remove(_ path: String) {
        let url = URL(fileURLWithPath: path)
        let parent = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard parent >= 0 else { return }
        defer { close(parent) }
        removeEntry(url.lastPathComponent, in: parent, depth: 0)
    }

    /// Removes `relative` (e.g. `base/OID`) below the folder `top` and everything below it;
    /// missing is fine. Every folder on the way is opened with `O_NOFOLLOW` from its parent's
    /// descriptor: `top` may belong to another account (the server's), only its parent must not.
    static func remove(_ relative: String, below top: String) {
        let parts = relative.split(separator: "/").map(String.init)
        guard let last = parts.last else { return }
        var folder = open(top, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard folder >= 0 else { return }
        defer { close(folder) }
        for part in parts.dropLast() {
            let next = openat(folder, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard next >= 0 else { return }
            close(folder)
            folder = next
        }
        removeEntry(last, in: folder, depth: 0)
    }

    private static func removeEntry(_ name: String, in parent: Int32, depth: Int) {
        if unlinkat(parent, name, 0) == 0 || errno == ENOENT { return }
        // A folder (EISDIR on Linux, EPERM in POSIX); a tree deeper than a cluster's is left.
        guard errno == EISDIR || errno == EPERM, depth < 64 else { return }
        let folder = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard folder >= 0 else { return }
        for child in DirectoryEntries.names(in: folder) { removeEntry(child, in: folder, depth: depth + 1) }
        close(folder)
        unlinkat(parent, name, AT_REMOVEDIR)
    }

    /// The target of the link `name` in `folder`, or nil.
    static func readLink(_ folder: Int32, _ name: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlinkat(folder, name, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Reads a small regular file without following a link or blocking on a FIFO; nil
    /// when it is missing, not a regular file, or larger than `limit`.
    static func readSmallFile(_ path: String, limit: Int = 1 << 16) -> String? {
        let input = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard input >= 0 else { return nil }
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0, info.st_mode & S_IFMT == S_IFREG, Int(info.st_size) <= limit else { return nil }
        var buffer = [UInt8](repeating: 0, count: Int(info.st_size))
        let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// Replaces `file` in `folder` (made private, 0700, when missing) with `contents`, by an
    /// atomic rename of a new file beside it; false when it cannot. For small records the
    /// cache keeps beside its entries (``CommandMemo``, ``ClusterPack/VerifiedMarks``).
    @discardableResult
    static func replaceSmallFile(_ file: String, in folder: String, contents: String, what: String) -> Bool {
        guard (try? PrivateDirectory.ensure(folder, what: what)) != nil else { return false }
        let temporary = folder + "/.tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard (try? createFile(temporary, contents: contents, mode: 0o600)) != nil else { return false }
        guard rename(temporary, file) == 0 else {
            unlink(temporary)
            return false
        }
        return true
    }

    /// What identifies the file `info` describes, as a line: its device, inode, size, and
    /// modification and change times. A write changes the change time, which no call can set back.
    static func identity(_ info: stat) -> String {
        "\(info.st_dev):\(info.st_ino):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec):"
            + "\(info.st_ctim.tv_sec).\(info.st_ctim.tv_nsec)"
    }

    /// Creates the new file `path` (in a folder no other account can write) with `contents`.
    static func createFile(_ path: String, contents: String, mode: mode_t) throws(PostgresError) {
        let output = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard output >= 0 else { throw failure("cannot create \(path)") }
        defer { close(output) }
        let bytes = Array(contents.utf8)
        guard bytes.withUnsafeBytes({ write(output, $0.baseAddress, $0.count) }) == bytes.count else {
            throw failure("cannot write \(path)")
        }
        fchmod(output, mode)
    }

    /// An error for a failed system call, from `errno`: a full file system gets its own
    /// code and says what to do.
    static func failure(_ message: String) -> PostgresError {
        let code = errno
        if code == ENOSPC || code == EDQUOT { return diskFull(message + ": " + String(cString: strerror(code))) }
        return PostgresError(code: .cache, message: "\(message): \(String(cString: strerror(code)))")
    }

    /// The error of a write that failed because the file system is full.
    static func diskFull(_ message: String, logLines: [String] = []) -> PostgresError {
        PostgresError(code: .diskFull, message: "the disk is full: \(message)",
                      hint: "free space there (df -h shows which file system), or point TESTBED_RUN_ROOT "
                          + "(run directories, default /dev/shm) or TESTBED_CACHE_DIR (cluster caches) "
                          + "at a file system with room", logLines: logLines)
    }
}
