import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem
import TestbedSeed

/// The folder of prepared clusters under `cacheRoot/postgres`: `base-HASH.pack` (the
/// pristine output of initdb) and `seeded-HASH.pack` (base + databases + fixtures +
/// template databases), each a complete, cleanly shut down data directory packed into
/// one file (see ``ClusterPack``).
///
/// Entries are built at most once however many processes race for them: the builder
/// holds an exclusive `flock` on `NAME.lock`, builds into `.tmp-NAME-...`, and publishes
/// with an atomic `rename`; the others wait for the lock, then find the entry. A builder
/// that dies releases its lock with its file descriptors, and the next holder deletes
/// its half-built `.tmp-` folder.
struct ClusterCache: Sendable {
    let root: String

    init(cacheRoot: String) {
        self.root = cacheRoot + "/postgres"
    }

    /// The pack file of entry `name`.
    func path(_ name: String) -> String { root + "/" + name + ".pack" }

    /// True when entry `name` is complete (it appears complete, by a rename).
    func exists(_ name: String) -> Bool {
        var info = stat()
        return stat(path(name), &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    /// Unpacks entry `name` into `destination` (which must not exist) for `owner`.
    ///
    /// Throws `.damagedCache` when the entry fails its integrity check: the caller
    /// deletes it (``discard(_:)``) and builds it again.
    @discardableResult
    func unpack(_ name: String, to destination: String, owner: UnixUser?,
                deferring: [String] = []) throws(PostgresError) -> ClusterPack.Deferred? {
        do { try makePrivate() } catch { throw PostgresError(code: .cache, message: error.description) }
        return try ClusterPack.unpack(path(name), to: destination, owner: owner, deferring: deferring)
    }

    /// Deletes the damaged entry `name`, so that the next ``lease(_:)`` rebuilds it. Runs
    /// that are unpacking it keep reading the file they opened.
    func discard(_ name: String) {
        unlink(path(name))
        ClusterPack.VerifiedMarks.forget(path(name))
    }

    /// The exclusive right to create the missing entry `name`, waiting while another
    /// process holds it; nil when the entry exists (perhaps built by that process).
    func lease(_ name: String) async throws -> Lease? {
        if exists(name) { return nil }
        let lock = try openLock(name)
        // Non-blocking attempts: a blocking flock would hold one of the few cooperative threads.
        while flock(lock, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                let failure = PostgresError(code: .cache, message: "cannot lock \(root)/\(name).lock: \(errnoText())")
                close(lock)
                throw failure
            }
            do { try await Task.sleep(for: .milliseconds(5)) } catch { close(lock); throw error }
        }
        return held(name, lock)
    }

    /// Like ``lease(_:)`` but never waits: nil also when another process holds the lock
    /// (it is building the same entry).
    func tryLease(_ name: String) throws -> Lease? {
        if exists(name) { return nil }
        let lock = try openLock(name)
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else { close(lock); return nil }
        return held(name, lock)
    }

    private func openLock(_ name: String) throws -> Int32 {
        try makePrivate()
        let lock = open(root + "/" + name + ".lock", O_CREAT | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard lock >= 0 else {
            throw PostgresError(code: .cache, message: "cannot open the cache lock in \(root): \(errnoText())")
        }
        return lock
    }

    /// Creates the cache folder, and makes a cache that an older Testbed left open
    /// (folders `0755`, packs `0644`) private: the cache root and `postgres` lose group and
    /// other permissions, and everything below gets at most `0700`/`0600` (walked once,
    /// then marked, see ``PrivateDirectory/makeTreePrivate(_:)``). Called on every open,
    /// a warm start that only reads the cache included: seeded data can be private (a card
    /// number in a fixture).
    func makePrivate() throws(PathTrustError) {
        try PrivateDirectory.makePath(root, privateLevels: 2)
        PrivateDirectory.makeTreePrivate(root)
    }

    /// With the lock held: nil when the entry appeared meanwhile; else clears what a
    /// builder that died left behind.
    private func held(_ name: String, _ lock: Int32) -> Lease? {
        if exists(name) {
            close(lock)  // also releases the flock
            return nil
        }
        for stale in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        where stale.hasPrefix(".tmp-\(name)-") {
            ClusterFiles.remove(root + "/" + stale)
        }
        ClusterFiles.remove(path(name))
        return Lease(cache: self, name: name, lock: lock)
    }

    /// An exclusive hold on a missing entry, released by ``release()`` (or by the
    /// kernel when the process dies: then the next holder removes the `.tmp-` folder).
    final class Lease: Sendable {
        let cache: ClusterCache
        let name: String
        private let lock: Mutex<Int32>

        fileprivate init(cache: ClusterCache, name: String, lock: Int32) {
            self.cache = cache
            self.name = name
            self.lock = Mutex(lock)
        }

        deinit { release() }

        /// A fresh path next to the entry, on the same file system.
        func temporaryPath() -> String {
            cache.root + "/.tmp-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        }

        /// Packs the cleanly shut down cluster at `source` into a temporary file and
        /// publishes it with an atomic rename.
        func publishCopy(of source: String) throws(PostgresError) {
            let temporary = temporaryPath()
            do throws(PostgresError) {
                try ClusterPack.pack(tree: source, to: temporary)  // flushed to the disk
                guard rename(temporary, cache.path(name)) == 0 else {
                    throw PostgresError(code: .cache, message: "cannot publish \(cache.path(name)): \(errnoText())")
                }
                // The rename itself must reach the disk too, or a crash can leave a name without its file.
                let folder = open(cache.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                if folder >= 0 {
                    fsync(folder)
                    close(folder)
                }
            } catch {
                ClusterFiles.remove(temporary)
                throw error
            }
        }

        /// Gives the lock up; safe to call more than once.
        func release() {
            lock.withLock { lock in
                if lock >= 0 { close(lock) }
                lock = -1
            }
        }
    }

    /// The key of a base cluster: everything `initdb` depends on (v5: no password, set per run).
    static func baseKey(_ installation: PostgresInstallation, spec: PostgresSpec) -> String {
        var hash = ContentHash()
        hash.update("base-v6")  // v6: packs with aligned contents (TBPACK4)
        hash.update(installation.versionString)
        hash.update(installation.binDirectory)
        hash.update(spec.user)
        for option in spec.initdbOptions { hash.update(option) }
        return "base-" + hash.hex
    }

    /// The key of a seeded cluster: the base key, the databases, the settings, and every step's kind,
    /// options, target database and file contents (folders: every file below them).
    static func seededKey(base: String, spec: PostgresSpec, steps: [PlannedSeedStep]) throws -> String {
        var hash = ContentHash()
        hash.update("seeded-v7")  // v7: packs with aligned contents (TBPACK4); v6: templates at fixed OIDs
        hash.update(base)
        hash.update("databases")
        for database in spec.databases { hash.update(database) }
        for (name, value) in spec.settings { hash.update(name.lowercased()); hash.update(value) }
        for resolved in steps {
            hash.update("step")
            hash.update(resolved.step.database ?? "\u{0}")
            switch resolved.step.source {
            case .sql: hash.update("sql")
            case .csv(_, let table, let options):
                hash.update("csv"); hash.update(table); hash.update(String(options.delimiter))
                hash.update(options.header ? "header" : "noheader"); hash.update(options.null)
                hash.update((options.columns ?? ["\u{0}"]).joined(separator: ","))
            case .json(_, let table): hash.update("json"); hash.update(table ?? "\u{0}")
            case .command: hash.update("command"); hash.update((resolved.commandArgv ?? []).joined(separator: "\u{0}"))
            }
            for file in resolved.absolutePaths { hash.update(try SeedFingerprint.hash(of: file)) }
        }
        return "seeded-" + hash.hex
    }
}
