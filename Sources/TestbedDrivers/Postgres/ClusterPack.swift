import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem
import TestbedSeed

/// A cluster directory in one file: the form of cache entries.
///
/// A cluster is ~1,600 files, a quarter of them empty and most of the rest duplicates
/// (every database starts as a copy of template1; a template is a copy of its
/// database): as a tree, writing it to a disk file system costs a journaled metadata
/// update per file (130–800 ms here for 53 MB); as one file with each distinct content
/// stored once, about as long as writing ~20 MB. Unpacking onto tmpfs costs what a
/// tree copy does.
///
/// Layout: `TBPACK4\n`, the header's length (UInt32, from the file's start), the
/// checksum (UInt64, ``CacheChecksum`` of the header after it and of the data area), the
/// entry count (UInt32), then per entry: kind (UInt8: 0 folder, 1 file, 2 link), mode
/// (UInt32), offset and size (UInt64: the content in the data area; a link's target),
/// path length (UInt16) and path (relative, UTF-8), zeros up to a multiple of
/// ``alignment``; then the data area, where every content of a page or more starts at a
/// multiple of ``alignment`` too. Integers are little-endian. Folders come before their
/// contents. A pack whose checksum does not match (a byte overwritten, the file cut
/// short) is refused with `.damagedCache`.
enum ClusterPack {
    static let magic = Array("TBPACK4\n".utf8)
    /// Where contents start in the file: copying from the page cache at an offset that is
    /// not a page's costs twice the time (819 MB to tmpfs by `sendfile`: 850-980 ms against
    /// 440-490 ms aligned).
    static let alignment = 4096
    /// Where the checksummed bytes start: after the magic, the length and the checksum.
    static let checkedStart = magic.count + 4 + 8

    enum Kind: UInt8 { case folder = 0, file = 1, link = 2 }

    struct Entry: Sendable {
        var kind: Kind
        var mode: UInt32
        var offset: UInt64
        var size: UInt64
        var path: String
    }

    /// Writes the tree at `source` (a cleanly shut down cluster) to the new file
    /// `destination` and flushes it to the disk (`fsync`) before returning.
    ///
    /// The tree may belong to another account: it is read through folder descriptors,
    /// never following a link (see ``ClusterFiles``).
    static func pack(tree source: String, to destination: String) throws(PostgresError) {
        var entries: [Entry] = []
        var data: [UInt8] = []
        var stored: [Int: [(offset: Int, size: Int)]] = [:]  // content hash -> places in `data`
        let top = open(source, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard top >= 0 else { throw ClusterFiles.failure("cannot read \(source)") }
        defer { close(top) }
        var info = stat()
        guard fstat(top, &info) == 0 else { throw ClusterFiles.failure("cannot read \(source)") }
        entries.append(Entry(kind: .folder, mode: UInt32(info.st_mode & 0o7777), offset: 0, size: 0, path: ""))
        try collect(top, relative: "", &entries, &data, &stored)
        var header = magic
        append(UInt32(0), to: &header)  // the length, set below
        append(UInt64(0), to: &header)  // the checksum, set below
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
        header += repeatElement(0, count: (alignment - header.count % alignment) % alignment)
        withUnsafeBytes(of: UInt32(header.count).littleEndian) { header.replaceSubrange(magic.count..<magic.count + 4, with: $0) }
        let checksum = header.withUnsafeBytes { headerBytes in
            data.withUnsafeBytes { CacheChecksum.of(UnsafeRawBufferPointer(rebasing: headerBytes[checkedStart...]), $0) }
        }
        withUnsafeBytes(of: checksum.littleEndian) { header.replaceSubrange(magic.count + 4..<checkedStart, with: $0) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw ClusterFiles.failure("cannot create \(destination)") }
        defer { close(output) }
        try writeAll(output, header, destination)
        try writeAll(output, data, destination)
        guard fsync(output) == 0 else { throw ClusterFiles.failure("cannot flush \(destination)") }
    }

    private static func collect(_ folder: Int32, relative: String, _ entries: inout [Entry], _ data: inout [UInt8],
                                _ stored: inout [Int: [(offset: Int, size: Int)]]) throws(PostgresError) {
        for name in DirectoryEntries.names(in: folder) where name != "postmaster.pid" {
            let path = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            guard fstatat(folder, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { throw ClusterFiles.failure("cannot read \(path)") }
            let mode = UInt32(info.st_mode & 0o7777)
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                let child = openat(folder, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard child >= 0 else { throw ClusterFiles.failure("cannot read the folder \(path)") }
                defer { close(child) }
                entries.append(Entry(kind: .folder, mode: mode, offset: 0, size: 0, path: path))
                try collect(child, relative: path, &entries, &data, &stored)
            case S_IFREG:
                let content = try read(folder, name, path)
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
                        if content.count >= alignment {
                            data += repeatElement(0, count: (alignment - data.count % alignment) % alignment)
                        }
                        place = (data.count, content.count)
                        data += content
                        stored[key, default: []].append(place)
                    }
                }
                entries.append(Entry(kind: .file, mode: mode, offset: UInt64(place.offset), size: UInt64(place.size), path: path))
            case S_IFLNK:
                guard let target = ClusterFiles.readLink(folder, name) else { throw ClusterFiles.failure("cannot read the link \(path)") }
                let bytes = Array(target.utf8)
                entries.append(Entry(kind: .link, mode: mode, offset: UInt64(data.count), size: UInt64(bytes.count), path: path))
                data += bytes
            default:
                continue  // sockets and the like belong to a running server
            }
        }
    }

    /// Unpacks the pack at `source` into `destination` (which must not exist, in a folder
    /// no other account can write), giving every entry to `owner` when set, the top
    /// folder last. Files are written by two threads, largest first.
    ///
    /// Throws `.damagedCache` when the pack fails its checksum or its layout is wrong
    /// (nothing is created then), `.diskFull` when the destination's file system is full.
    ///
    /// Entries at or below the relative paths `deferring` are left out: they are handed
    /// back with the open pack (see ``Deferred``), to be written later on demand.
    /// `cloningDuplicates`: a file whose content an earlier file has is cloned from that
    /// file (a reflink where the destination allows; see ``cloneDuplicates(_:owner:)``).
    @discardableResult
    static func unpack(_ source: String, to destination: String, owner: UnixUser?,
                       deferring: [String] = [], cloningDuplicates: Bool = false) throws(PostgresError) -> Deferred? {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw ClusterFiles.failure("cannot open \(source)") }
        var handedOver = false
        defer { if !handedOver { close(input) } }
        let (entries, dataStart) = try readVerified(input, source)
        let isDeferred = { (path: String) in deferring.contains { path == $0 || path.hasPrefix($0 + "/") } }
        try FreeSpace.check(need: unpackedSize(entries.filter { !isDeferred($0.path) }),
                            at: (destination as NSString).deletingLastPathComponent, for: "the cached cluster \(source)")
        try write(entries.filter { !isDeferred($0.path) }, from: input, dataStart: dataStart, to: destination, owner: owner,
                  cloningDuplicates: cloningDuplicates)
        let later = entries.filter { isDeferred($0.path) }
        guard !later.isEmpty else { return nil }
        handedOver = true
        return Deferred(input: input, entries: later, dataStart: dataStart, source: source)
    }

    /// The bytes `entries` would unpack to (their files' sizes, duplicates counted each time).
    static func unpackedSize(_ entries: [Entry]) -> UInt64 {
        entries.reduce(0) { $0 + ($1.kind == .file ? $1.size : 0) }
    }

    /// Entries of a verified pack left out of an unpack, with the pack kept open: a cache
    /// entry replaced or deleted meanwhile does not change what they write.
    final class Deferred: Sendable {
        private let input: Int32
        let entries: [Entry]
        private let dataStart: UInt64
        let source: String

        init(input: Int32, entries: [Entry], dataStart: UInt64, source: String) {
            self.input = input
            self.entries = entries
            self.dataStart = dataStart
            self.source = source
        }

        deinit { close(input) }

        /// The bytes the entries at or below `prefix` unpack to.
        func size(below prefix: String) -> UInt64 {
            ClusterPack.unpackedSize(entries.filter { $0.path == prefix || $0.path.hasPrefix(prefix + "/") })
        }

        /// Writes the folder `prefix` (a deferred folder) and what it holds as `destination`,
        /// which must not exist, in a folder no other account can write.
        func write(_ prefix: String, to destination: String, owner: UnixUser?) throws(PostgresError) {
            var below: [Entry] = []
            for var entry in entries where entry.path == prefix || entry.path.hasPrefix(prefix + "/") {
                entry.path = String(entry.path.dropFirst(min(entry.path.count, prefix.count + 1)))
                below.append(entry)
            }
            guard below.first?.kind == .folder, below.first?.path == "" else {
                throw ClusterFiles.failure("the pack \(source) holds no folder \(prefix)")
            }
            try ClusterPack.write(below, from: input, dataStart: dataStart, to: destination, owner: owner)
        }
    }

    /// Creates `entries` (folders before their contents; the first is the top, path "")
    /// at `destination` from the pack open as `input`.
    private static func write(_ entries: [Entry], from input: Int32, dataStart: UInt64, to destination: String,
                              owner: UnixUser?, cloningDuplicates: Bool = false) throws(PostgresError) {
        var files: [(path: String, entry: Entry)] = []
        var duplicates: [Duplicate] = []
        var firsts: [UInt64: [(size: UInt64, path: String)]] = [:]  // content offset -> files written with it
        var made: [(path: String, mode: mode_t?)] = []
        for entry in entries {
            let path = entry.path.isEmpty ? destination : destination + "/" + entry.path
            switch entry.kind {
            case .folder:
                guard mkdir(path, 0o700) == 0 else { throw ClusterFiles.failure("cannot create \(path)") }
                made.append((path, mode_t(entry.mode)))
            case .link:
                var target = [UInt8](repeating: 0, count: Int(entry.size))
                guard pread(input, &target, target.count, off_t(dataStart + entry.offset)) == target.count,
                      symlink(String(decoding: target, as: UTF8.self), path) == 0 else {
                    throw ClusterFiles.failure("cannot create the link \(path)")
                }
                made.append((path, nil))
            case .file:
                if cloningDuplicates, entry.size > 0,
                   let first = firsts[entry.offset]?.first(where: { $0.size == entry.size }) {
                    duplicates.append(Duplicate(path: path, source: first.path, mode: mode_t(entry.mode)))
                    continue
                }
                if cloningDuplicates { firsts[entry.offset, default: []].append((entry.size, path)) }
                files.append((path, entry))
            }
        }
        // Largest first: a 1 GB table segment does not wait behind another large file in the
        // same lane. (Two lanes writing one file would not help: a write holds the file's lock.)
        let list = files.sorted { $0.entry.size > $1.entry.size }
        try BlockingWork.forEach(list, lanes: list.count > 64 ? 2 : 1) { file throws(PostgresError) in
            let (path, entry) = file
            let output = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(entry.mode))
            guard output >= 0 else { throw ClusterFiles.failure("cannot create \(path)") }
            defer { close(output) }
            var offset = off_t(dataStart + entry.offset)
            var remaining = Int(entry.size)
            while remaining > 0 {
                let copied = sendfile(output, input, &offset, remaining)
                if copied < 0 && errno == EINTR { continue }
                guard copied > 0 else { throw ClusterFiles.failure("cannot write \(path)") }
                remaining -= copied
            }
            if let owner, fchown(output, owner.uid, owner.gid) != 0 {
                throw ClusterFiles.failure("cannot give \(path) to \(owner.name)")
            }
        }
        try cloneDuplicates(duplicates, owner: owner)
        try ClusterFiles.finish(made, owner: owner)
    }

    /// Checks the pack's checksum over the whole file (mapped, so the pages read here are
    /// the ones the copy then sends) unless it passed during this boot, unchanged since
    /// (``VerifiedMarks``), then reads its header and checks every entry lies inside the file.
    static func readVerified(_ input: Int32, _ source: String) throws(PostgresError) -> (list: [Entry], dataStart: UInt64) {
        var info = stat()
        guard fstat(input, &info) == 0 else { throw ClusterFiles.failure("cannot read \(source)") }
        let size = Int(info.st_size)
        guard size >= checkedStart + 4 else { throw damaged(source, "shorter than a header") }
        guard let mapping = mmap(nil, size, PROT_READ, MAP_PRIVATE, input, 0), mapping != MAP_FAILED else {
            throw ClusterFiles.failure("cannot read \(source)")
        }
        defer { munmap(mapping, size) }
        let file = UnsafeRawBufferPointer(start: mapping, count: size)
        guard file.starts(with: magic) else { throw damaged(source, "not a cluster pack of this version") }
        let length = Int(UInt32(littleEndian: file.loadUnaligned(fromByteOffset: magic.count, as: UInt32.self)))
        guard length >= checkedStart + 4, length <= size else { throw damaged(source, "a header longer than the file") }
        if !VerifiedMarks.isChecked(source, info) {
            let expected = UInt64(littleEndian: file.loadUnaligned(fromByteOffset: magic.count + 4, as: UInt64.self))
            let actual = CacheChecksum.of(UnsafeRawBufferPointer(rebasing: file[checkedStart..<length]),
                                         UnsafeRawBufferPointer(rebasing: file[length...]))
            guard actual == expected else { throw damaged(source, "its checksum does not match") }
            VerifiedMarks.markChecked(source, info)
        }
        let (list, dataStart) = try entries(in: file, headerLength: length, source)
        for entry in list where dataStart + entry.offset + entry.size > UInt64(size) { throw damaged(source, "an entry past its end") }
        return (list, dataStart)
    }

    /// The bytes the pack at `source` unpacks to, leaving out the entries at or below
    /// `deferring`, read from its header alone (no checksum: an estimate before a run
    /// chooses its run root; the unpack checks everything). Nil when it cannot be read.
    static func plannedSize(_ source: String, deferring: [String] = []) -> UInt64? {
        let input = open(source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard input >= 0 else { return nil }
        defer { close(input) }
        var start = [UInt8](repeating: 0, count: checkedStart)
        guard pread(input, &start, start.count, 0) == start.count, start.starts(with: magic) else { return nil }
        let length = start[magic.count..<magic.count + 4].reversed().reduce(0) { $0 << 8 | Int($1) }
        guard length >= checkedStart + 4, length < 1 << 30 else { return nil }
        var header = [UInt8](repeating: 0, count: length)
        guard pread(input, &header, length, 0) == length else { return nil }
        let list = header.withUnsafeBytes { file in try? entries(in: file, headerLength: length, source) }
        guard let list = list?.list else { return nil }
        return unpackedSize(list.filter { entry in
            !deferring.contains { entry.path == $0 || entry.path.hasPrefix($0 + "/") }
        })
    }

    /// The entries of the header in the first `length` bytes of `file`, and where the data area starts.
    private static func entries(in file: UnsafeRawBufferPointer, headerLength length: Int,
                                _ source: String) throws(PostgresError) -> (list: [Entry], dataStart: UInt64) {
        var cursor = checkedStart
        func integer<T: FixedWidthInteger>(_: T.Type) throws(PostgresError) -> T {
            guard cursor + MemoryLayout<T>.size <= length else { throw damaged(source, "a header cut short") }
            defer { cursor += MemoryLayout<T>.size }
            return T(littleEndian: file.loadUnaligned(fromByteOffset: cursor, as: T.self))
        }
        let count = try integer(UInt32.self)
        var list: [Entry] = []
        list.reserveCapacity(Int(min(count, 1 << 20)))
        for _ in 0..<count {
            guard let kind = Kind(rawValue: try integer(UInt8.self)) else { throw damaged(source, "an unknown entry kind") }
            let mode = try integer(UInt32.self)
            let offset = try integer(UInt64.self)
            let size = try integer(UInt64.self)
            let pathLength = Int(try integer(UInt16.self))
            guard cursor + pathLength <= length else { throw damaged(source, "a header cut short") }
            let path = String(decoding: file[cursor..<cursor + pathLength], as: UTF8.self)
            cursor += pathLength
            guard !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else { throw damaged(source, "a path outside the cluster") }
            list.append(Entry(kind: kind, mode: mode, offset: offset, size: size, path: path))
        }
        // Then zeros up to the data area's aligned start.
        guard cursor <= length, length - cursor < alignment, file[cursor..<length].allSatisfy({ $0 == 0 }),
              list.first?.kind == .folder, list.first?.path == "" else { throw damaged(source, "a bad header") }
        return (list, UInt64(length))
    }

    private static func read(_ folder: Int32, _ name: String, _ path: String) throws(PostgresError) -> [UInt8] {
        let input = openat(folder, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard input >= 0 else { throw ClusterFiles.failure("cannot open \(path)") }
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw PostgresError(code: .cache, message: "\(path) is no longer a regular file")
        }
        let size = Int(info.st_size)
        var content = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let count = content.withUnsafeMutableBytes { pread(input, $0.baseAddress! + done, size - done, off_t(done)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw ClusterFiles.failure("cannot read \(path)") }
            done += count
        }
        return content
    }

    private static func writeAll(_ output: Int32, _ bytes: [UInt8], _ path: String) throws(PostgresError) {
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(output, $0.baseAddress! + done, bytes.count - done) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw ClusterFiles.failure("cannot write \(path)") }
            done += count
        }
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        for index in 0..<MemoryLayout<T>.size { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * index))) }
    }

    private static func damaged(_ path: String, _ reason: String) -> PostgresError {
        PostgresError(code: .damagedCache, message: "the cache entry \(path) is damaged (\(reason))",
                      hint: "it is deleted and rebuilt")
    }
}
