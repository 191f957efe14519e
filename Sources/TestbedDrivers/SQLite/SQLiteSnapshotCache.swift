import CSQLite
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem
import TestbedSeed

/// Seeded database files kept under `CACHE_ROOT/sqlite/`, keyed by a hash of what seeding
/// reads, so a second start with unchanged fixtures copies a file instead of seeding.
///
/// Layout: `<key>.sqlite` (a finished snapshot, never modified), `<key>.sum` (its
/// ``CacheChecksum``, checked before each use: a damaged snapshot is rebuilt), `<key>.lock` (flock held
/// while one builder seeds it), `tmp/` (builds in progress, renamed into place when
/// complete), `uncached/` (snapshots of seeds that cannot be cached, removed at stop) and
/// `created/` (markers for database paths Testbed created, so a path left behind by a
/// killed run is recognised and replaced).
struct SQLiteSnapshotCache: Sendable {
    let directory: String

    init(cacheRoot: String) {
        directory = (cacheRoot as NSString).appendingPathComponent("sqlite")
    }

    var temporaryDirectory: String { directory + "/tmp" }
    var uncachedDirectory: String { directory + "/uncached" }

    func snapshotPath(key: String) -> String { "\(directory)/\(key).sqlite" }

    /// A fresh path in `folder` for a file being built.
    func temporaryPath(in folder: String, name: String) -> String {
        "\(folder)/\(name)-\(getpid())-\(UUID().uuidString.prefix(8)).sqlite"
    }

    /// The cache key of a seed, or nil when a command step is not marked cacheable.
    ///
    /// Covers each step's kind and options, the contents of its files, the pragmas and the
    /// SQLite library version. Throws ``SeedError`` when a fixture file cannot be read.
    static func key(service: String, pragmas: [(name: String, value: String)], seed: [PlannedSeedStep]) throws -> String? {
        var hash = ContentHash()
        hash.update("testbed.sqlite.snapshot.v2")  // v2: with a checksum
        hash.update(String(cString: sqlite3_libversion()))
        for pragma in pragmas { hash.update("\(pragma.name.lowercased())=\(pragma.value)") }
        for resolved in seed {
            switch resolved.step.source {
            case .sql:
                hash.update("sql")
            case .csv(_, let table, let options):
                hash.update("csv")
                hash.update(table)
                hash.update(String(options.delimiter))
                hash.update(options.header ? "header" : "no-header")
                hash.update(options.null)
                hash.update(options.columns?.joined(separator: "\u{1E}") ?? "\u{1D}")
            case .json(_, let table):
                hash.update("json")
                hash.update(table ?? "\u{1D}")
            case .command(_, let cacheable, _):
                guard cacheable else { return nil }
                hash.update("command")
                for argument in resolved.commandArgv ?? [] { hash.update(argument) }
            }
            for file in resolved.absolutePaths {
                do {
                    try hash.update(file: file)
                } catch {
                    throw SeedError(service: service, file: file, message: "cannot read the fixture: \(error.localizedDescription)",
                                    step: resolved.step.location)
                }
            }
        }
        return hash.hex
    }

    /// Runs `body` holding an exclusive `flock` on `<key>.lock`, so concurrent builders of one
    /// snapshot (other tasks or other processes) take turns. The lock dies with the process.
    func withLock<T>(key: String, _ body: () async throws -> T) async throws -> T {
        let lockPath = "\(directory)/\(key).lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SQLiteError(code: .cantOpen, message: "cannot open the cache lock \(lockPath): \(errnoText())")
        }
        defer { close(fd) }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw SQLiteError(code: .ioError, message: "cannot lock \(lockPath): \(errnoText())")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        defer { flock(fd, LOCK_UN) }
        return try await body()
    }

    /// Flushes the snapshot of `key` to the disk and records its checksum (`<key>.sum`,
    /// written to a temporary file, flushed and renamed), then flushes the folder. Call it
    /// with the key's lock held, right after the snapshot is in place.
    func seal(key: String) throws {
        let snapshot = snapshotPath(key: key)
        guard let checksum = Self.checksum(of: snapshot, flush: true) else {
            throw SQLiteError(code: .ioError, message: "cannot read the snapshot \(snapshot): \(errnoText())")
        }
        let sum = "\(directory)/\(key).sum"
        let temporary = temporaryPath(in: temporaryDirectory, name: key) + ".sum"
        let output = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard output >= 0 else {
            throw SQLiteError(code: .ioError, message: "cannot write \(temporary): \(errnoText())")
        }
        let text = Array(String(checksum, radix: 16).utf8)
        let written = text.withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
        let flushed = fsync(output) == 0
        close(output)
        guard written == text.count, flushed, rename(temporary, sum) == 0 else {
            unlink(temporary)
            throw SQLiteError(code: .ioError, message: "cannot write \(sum): \(errnoText())")
        }
        let folder = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }

    /// True when the snapshot of `key` matches its recorded checksum; false when either
    /// file is missing or they differ (a byte overwritten, a file cut short).
    func isIntact(key: String) -> Bool {
        guard let recorded = try? String(contentsOfFile: "\(directory)/\(key).sum", encoding: .utf8),
              let expected = UInt64(recorded, radix: 16) else { return false }
        return Self.checksum(of: snapshotPath(key: key), flush: false) == expected
    }

    /// Deletes the snapshot of `key` and its checksum, so that it is built again.
    func discard(key: String) {
        unlink(snapshotPath(key: key))
        unlink("\(directory)/\(key).sum")
    }

    private static func checksum(of path: String, flush: Bool) -> UInt64? {
        let input = open(path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { return nil }
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        if flush && fsync(input) != 0 { return nil }
        let size = Int(info.st_size)
        guard size > 0 else { return CacheChecksum.of(UnsafeRawBufferPointer(start: nil, count: 0)) }
        guard let mapping = mmap(nil, size, PROT_READ, MAP_PRIVATE, input, 0), mapping != MAP_FAILED else { return nil }
        defer { munmap(mapping, size) }
        return CacheChecksum.of(UnsafeRawBufferPointer(start: mapping, count: size))
    }

    /// Creates the cache folders, private to this account (0700; an existing cache root and
    /// `sqlite` folder lose group and other permissions, and an older cache's snapshots and
    /// folders below are made `0600`/`0700` once): seeded data may be private.
    func prepare() throws {
        do {
            try PrivateDirectory.makePath(directory, privateLevels: 2)
            PrivateDirectory.makeTreePrivate(directory)
            for folder in [temporaryDirectory, uncachedDirectory, directory + "/created"] {
                try PrivateDirectory.makePath(folder, privateLevels: 1)
            }
        } catch {
            throw SQLiteError(code: .cantOpen, message: error.description)
        }
    }

    /// Makes a snapshot readable by this account only (0600): seeded data may be private.
    func makePrivate(_ snapshot: String) {
        _ = chmod(snapshot, 0o600)
    }

    private func markerPath(for path: String) -> String {
        var hash = ContentHash()
        hash.update(path)
        return "\(directory)/created/\(hash.hex)"
    }

    /// Records that Testbed created the database at `path` (before it puts the file there).
    func markCreated(_ path: String) throws {
        try SQLiteFiles.makeDirectory(directory + "/created")
        try Data(path.utf8).write(to: URL(fileURLWithPath: markerPath(for: path)))
    }

    func wasCreated(_ path: String) -> Bool {
        (try? String(contentsOfFile: markerPath(for: path), encoding: .utf8)) == path
    }

    func unmarkCreated(_ path: String) {
        unlink(markerPath(for: path))
    }
}
