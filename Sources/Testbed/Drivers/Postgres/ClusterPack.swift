import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A cluster directory in one file: the form of cache entries.
///
/// A cluster is ~1,600 files, a quarter of them empty and most of the rest duplicates
/// (every database starts as a copy of template1; a template is a copy of its
/// database): as a tree, writing it to a disk file system costs a journaled metadata
/// update per file (130–800 ms here for 53 MB); as one file with each distinct content
/// stored once, about as long as writing ~20 MB. Unpacking onto tmpfs costs what a
/// tree copy does.
///
/// Layout: `TBPACK2\n`, the header's length (UInt32, from the file's start), the entry
/// count (UInt32), then per entry: kind (UInt8: 0
/// folder, 1 file, 2 link), mode (UInt32), offset and size (UInt64: the content in
/// the data area; a link's target), path length (UInt16) and path (relative, UTF-8);
/// then the data area. Integers are little-endian. Folders come before their contents.
enum ClusterPack {
    static let magic = Array("TBPACK2\n".utf8)

    enum Kind: UInt8 { case folder = 0, file = 1, link = 2 }

    struct Entry {
        var kind: Kind
        var mode: UInt32
        var offset: UInt64
        var size: UInt64
        var path: String
    }

    /// Writes the tree at `source` (a cleanly shut down cluster) to the new file `destination`.
    static func pack(tree source: String, to destination: String) throws(PostgresError) {
        var entries: [Entry] = []
        var data: [UInt8] = []
        var stored: [Int: [(offset: Int, size: Int)]] = [:]  // content hash -> places in `data`
        try collect(source, relative: "", &entries, &data, &stored)
        var header = magic
        append(UInt32(0), to: &header)  // the length, set below
        append(UInt32(entries.count), to: &header)
        for entry in entries {
            header.append(entry.kind.rawValue)
            append(entry.mode, to: &header)
            append(entry.offset, to: &header)
            append(entry.size, to: &header)
            let path = Array(entry.path.utf8)
            append(UInt16(path.count), to: &header)
            header += path
        }
        withUnsafeBytes(of: UInt32(header.count).littleEndian) { header.replaceSubrange(magic.count..<magic.count + 4, with: $0) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw failure("cannot create \(destination)") }
        defer { close(output) }
        try writeAll(output, header, destination)
        try writeAll(output, data, destination)
    }

    private static func collect(_ path: String, relative: String, _ entries: inout [Entry], _ data: inout [UInt8],
                                _ stored: inout [Int: [(offset: Int, size: Int)]]) throws(PostgresError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw failure("cannot read \(path)") }
        let mode = UInt32(info.st_mode & 0o7777)
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            entries.append(Entry(kind: .folder, mode: mode, offset: 0, size: 0, path: relative))
            for name in try names(in: path) where name != "postmaster.pid" {
                try collect(path + "/" + name, relative: relative.isEmpty ? name : relative + "/" + name,
                            &entries, &data, &stored)
            }
        case S_IFREG:
            let content = try read(path, size: Int(info.st_size))
            var place = (offset: 0, size: 0)
            if !content.isEmpty {
                var hasher = Hasher()
                content.withUnsafeBytes { hasher.combine(bytes: $0) }
                let key = hasher.finalize()
                let same = stored[key]?.first { place in
                    place.size == content.count && data.withUnsafeBytes { stored in
                        content.withUnsafeBytes { memcmp(stored.baseAddress! + place.offset, $0.baseAddress!, $0.count) == 0 }
                    }
                }
                if let same {
                    place = same
                } else {
                    place = (data.count, content.count)
                    data += content
                    stored[key, default: []].append(place)
                }
            }
            entries.append(Entry(kind: .file, mode: mode, offset: UInt64(place.offset), size: UInt64(place.size), path: relative))
        case S_IFLNK:
            var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = buffer.withUnsafeMutableBufferPointer { readlink(path, $0.baseAddress!, $0.count - 1) }
            guard count >= 0 else { throw failure("cannot read the link \(path)") }
            entries.append(Entry(kind: .link, mode: mode, offset: UInt64(data.count), size: UInt64(count), path: relative))
            data += buffer[0..<count]
        default:
            return  // sockets and the like belong to a running server
        }
    }

    /// Unpacks the pack at `source` into `destination` (which must not exist), giving
    /// every entry to `owner` when set. Files are written by two threads.
    static func unpack(_ source: String, to destination: String, owner: UnixUser?) throws(PostgresError) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw failure("cannot open \(source)") }
        defer { close(input) }
        let entries = try readHeader(input, source)
        guard let dataStart = entries.dataStart else { throw corrupt(source) }
        var files: [(path: String, entry: Entry)] = []
        var folders: [(path: String, mode: mode_t)] = []
        for entry in entries.list {
            let path = entry.path.isEmpty ? destination : destination + "/" + entry.path
            switch entry.kind {
            case .folder:
                guard mkdir(path, 0o700) == 0 else { throw failure("cannot create \(path)") }
                folders.append((path, mode_t(entry.mode)))
                if let owner, lchown(path, owner.uid, owner.gid) != 0 { throw failure("cannot give \(path) to \(owner.name)") }
            case .link:
                var target = [UInt8](repeating: 0, count: Int(entry.size))
                guard pread(input, &target, target.count, off_t(dataStart + entry.offset)) == target.count,
                      symlink(String(decoding: target, as: UTF8.self), path) == 0 else {
                    throw failure("cannot create the link \(path)")
                }
                if let owner, lchown(path, owner.uid, owner.gid) != 0 { throw failure("cannot give \(path) to \(owner.name)") }
            case .file:
                files.append((path, entry))
            }
        }
        let list = files
        let lanes = list.count > 64 ? 2 : 1
        let failures = Mutex<[PostgresError]>([])
        DispatchQueue.concurrentPerform(iterations: lanes) { lane in
            for index in stride(from: lane, to: list.count, by: lanes) {
                let (path, entry) = list[index]
                do throws(PostgresError) {
                    let output = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(entry.mode))
                    guard output >= 0 else { throw failure("cannot create \(path)") }
                    defer { close(output) }
                    var offset = off_t(dataStart + entry.offset)
                    var remaining = Int(entry.size)
                    while remaining > 0 {
                        let copied = sendfile(output, input, &offset, remaining)
                        if copied < 0 && errno == EINTR { continue }
                        guard copied > 0 else { throw failure("cannot write \(path)") }
                        remaining -= copied
                    }
                    if let owner, fchown(output, owner.uid, owner.gid) != 0 { throw failure("cannot give \(path) to \(owner.name)") }
                } catch {
                    failures.withLock { $0.append(error) }
                    return
                }
            }
        }
        if let first = failures.withLock({ $0.first }) { throw first }
        for folder in folders.reversed() { chmod(folder.path, folder.mode) }
    }

    private static func readHeader(_ input: Int32, _ source: String) throws(PostgresError) -> (list: [Entry], dataStart: UInt64?) {
        var info = stat()
        guard fstat(input, &info) == 0 else { throw failure("cannot read \(source)") }
        var prefix = [UInt8](repeating: 0, count: magic.count + 4)
        guard info.st_size >= prefix.count, pread(input, &prefix, prefix.count, 0) == prefix.count,
              prefix.starts(with: magic) else { throw corrupt(source) }
        let length = prefix[magic.count...].reversed().reduce(0) { $0 << 8 | Int($1) }
        guard length >= prefix.count, length <= Int(info.st_size) else { throw corrupt(source) }
        var buffer = [UInt8](repeating: 0, count: length)
        guard pread(input, &buffer, buffer.count, 0) == buffer.count else { throw corrupt(source) }
        var cursor = prefix.count
        func integer<T: FixedWidthInteger>(_: T.Type) throws(PostgresError) -> T {
            let width = MemoryLayout<T>.size
            guard cursor + width <= buffer.count else { throw corrupt(source) }
            var value: T = 0
            for index in 0..<width { value |= T(buffer[cursor + index]) << (8 * index) }
            cursor += width
            return value
        }
        let count = try integer(UInt32.self)
        var list: [Entry] = []
        list.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let kind = Kind(rawValue: try integer(UInt8.self)) else { throw corrupt(source) }
            let mode = try integer(UInt32.self)
            let offset = try integer(UInt64.self)
            let size = try integer(UInt64.self)
            let pathLength = Int(try integer(UInt16.self))
            guard cursor + pathLength <= buffer.count else { throw corrupt(source) }
            let path = String(decoding: buffer[cursor..<cursor + pathLength], as: UTF8.self)
            cursor += pathLength
            guard !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else { throw corrupt(source) }
            list.append(Entry(kind: kind, mode: mode, offset: offset, size: size, path: path))
        }
        guard cursor == length else { throw corrupt(source) }
        let dataStart = UInt64(cursor)
        for entry in list where dataStart + entry.offset + entry.size > UInt64(info.st_size) { throw corrupt(source) }
        return (list, list.first?.kind == .folder && list.first?.path == "" ? dataStart : nil)
    }

    private static func names(in path: String) throws(PostgresError) -> [String] {
        guard let dir = opendir(path) else { throw failure("cannot read \(path)") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    private static func read(_ path: String, size: Int) throws(PostgresError) -> [UInt8] {
        let input = open(path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw failure("cannot open \(path)") }
        defer { close(input) }
        var content = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let count = content.withUnsafeMutableBytes { pread(input, $0.baseAddress! + done, size - done, off_t(done)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw failure("cannot read \(path)") }
            done += count
        }
        return content
    }

    private static func writeAll(_ output: Int32, _ bytes: [UInt8], _ path: String) throws(PostgresError) {
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(output, $0.baseAddress! + done, bytes.count - done) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw failure("cannot write \(path)") }
            done += count
        }
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        for index in 0..<MemoryLayout<T>.size { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * index))) }
    }

    private static func corrupt(_ path: String) -> PostgresError {
        PostgresError(code: .cache, message: "the cache entry \(path) is damaged", hint: "delete it; it is rebuilt")
    }

    private static func failure(_ message: String) -> PostgresError {
        PostgresError(code: .cache, message: "\(message): \(String(cString: strerror(errno)))")
    }
}
