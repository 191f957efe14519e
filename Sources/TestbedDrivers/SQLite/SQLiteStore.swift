import Foundation
import Synchronization
import TestbedSystem
import TestbedModel
import TestbedSeed

/// An SQLite database of one run: created, seeded (or copied from a cached snapshot), checked,
/// reset to its seeded state, copied for single tests, and removed at the end.
///
/// Seeding is all-or-nothing: it happens in a temporary file that only becomes the database
/// when every step succeeded; on failure nothing is left at ``Options/path`` and a
/// ``SeedError`` is thrown. The seeded file is kept as a snapshot, in the cache
/// (`cacheRoot/sqlite/<key>.sqlite`) when the seed is cacheable — every step except a command
/// step not marked `cacheable` — so the next start with unchanged fixtures, pragmas and SQLite
/// version only copies a file.
///
/// Ownership of the file: ``start()`` refuses to replace a file at `path` that Testbed did not
/// create (a marker in the cache records the paths it creates, so a file a killed run left
/// behind is replaced). ``stop()`` deletes the database, with its `-wal`, `-shm` and
/// `-journal` files, only when Testbed created it — always so for the default path in the run
/// folder; a user's own file is never deleted.
///
/// Thread-safe: state is behind a mutex; run ``start()`` once before the other methods.
package final class SQLiteStore: Sendable {
    /// What the runtime hands the store.
    package struct Options: Sendable {
        /// The service's name in the manifest, for messages and seed errors.
        package var serviceName: String
        /// The manifest's `sqlite:` block (path template and pragmas).
        package var spec: SQLiteSpec
        /// Absolute path of the database, resolved by the runtime (default `RUN_DIR/<service>/<service>.sqlite`).
        package var path: String
        /// Fixture steps, applied in order to a fresh database before it becomes ``path``.
        package var seed: [PlannedSeedStep]
        /// The environment of seed commands (`SQLITE_PATH` and `DATABASE_URL` are added).
        public var environment: [String: String]
        /// Root of Testbed's caches; this store uses `cacheRoot/sqlite/`.
        public var cacheRoot: String
        /// Receives the store's progress (seeding, seeded, cache notes); the default ignores it.
        package var report: PhaseReporter

        /// Collects the options; `path` must be absolute (``SQLiteStore/init(_:)`` checks it).
        public init(serviceName: String, spec: SQLiteSpec, path: String, seed: [PlannedSeedStep] = [],
                    environment: [String: String] = [:], cacheRoot: String, report: @escaping PhaseReporter = { _, _ in }) {
            self.serviceName = serviceName
            self.spec = spec
            self.path = path
            self.seed = seed
            self.environment = environment
            self.cacheRoot = cacheRoot
            self.report = report
        }
    }

    private struct State {
        /// The seeded file that ``reset()`` and ``copy(to:)`` copy from.
        var snapshot: String?
        /// The snapshot belongs to this store (an uncacheable seed) and goes at stop.
        var ownsSnapshot = false
        /// Testbed put the file at `path`, so stop deletes it.
        var createdPath = false
    }

    /// The options the store was made with.
    package let options: Options
    private let cache: SQLiteSnapshotCache
    private let pragmas: [(name: String, value: String)]
    private let state = Mutex(State())

    /// Checks the options. Throws ``SQLiteError`` for a relative path or a bad pragma name, and
    /// ``SeedError`` for a command step the runtime did not resolve.
    package init(_ options: Options) throws {
        guard options.path.hasPrefix("/") else {
            throw SQLiteError(code: .misuse, message: "service '\(options.serviceName)': the database path must be absolute, not '\(options.path)'")
        }
        for pragma in options.spec.pragmas where !pragma.name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
            throw SQLiteError(code: .misuse, message: "service '\(options.serviceName)': '\(pragma.name)' is not a pragma name")
        }
        for resolved in options.seed {
            if case .command = resolved.step.source, resolved.commandArgv?.isEmpty ?? true {
                throw SeedError(service: options.serviceName, file: "command", message: "the seed command was not resolved to an argv",
                                step: resolved.step.location)
            }
        }
        self.options = options
        self.cache = SQLiteSnapshotCache(cacheRoot: options.cacheRoot)
        self.pragmas = SQLiteSeeder.effectivePragmas(options.spec.pragmas)
    }

    /// `sqlite:///` followed by the absolute path (so four slashes in all, as SQLAlchemy and
    /// dj-database-url read an absolute path).
    package static func url(forPath path: String) -> String { "sqlite:///" + path }

    /// What other services and the test command can refer to: `path`, `file` and `dsn` (the
    /// absolute path) and `url` (see ``url(forPath:)``).
    package var values: [String: String] { Self.values(path: options.path) }

    /// The values of a store at `path`, known before any store exists (``EnvironmentPlan`` uses it).
    package static func values(path: String) -> [String: String] {
        ["path": path, "file": path, "dsn": path, "url": url(forPath: path)]
    }

    /// Puts a seeded database at the path: a copy of the cached snapshot when there is one,
    /// otherwise seeds a new one (and caches it). Reports `.seeding` and `.seeded` (whose
    /// detail starts with `cached` on a cache hit).
    ///
    /// Throws ``SeedError`` when a step fails (nothing is left at the path), ``SQLiteError``
    /// when the file cannot be written or the path holds a file Testbed did not create.
    ///
    /// Hashing the fixtures, checksumming, flushing and copying the snapshot run on
    /// ``BlockingWork``'s threads, whatever the caller's executor.
    package func start() async throws {
        try await withTaskExecutorPreference(BlockingWork.executor) { try await startBlocking() }
    }

    private func startBlocking() async throws {
        let clock = ContinuousClock()
        let began = clock.now
        try cache.prepare()
        try checkPathIsOurs()
        let report = options.report
        let seeder = SQLiteSeeder(service: options.serviceName, pragmas: pragmas, seed: options.seed,
                                  environment: options.environment, temporaryDirectory: cache.temporaryDirectory,
                                  onStep: { report(.progress, $0.progressName) })
        let snapshot: String
        var detail: String
        if let key = try SQLiteSnapshotCache.key(service: options.serviceName, pragmas: pragmas, seed: options.seed) {
            snapshot = cache.snapshotPath(key: key)
            detail = "cached snapshot \(key.prefix(12))"
            if !SQLiteFiles.exists(snapshot) || !cache.isIntact(key: key) {
                detail = try await cache.withLock(key: key) {
                    // Another builder may have finished (and sealed) while this one waited for the lock.
                    if SQLiteFiles.exists(snapshot) {
                        if cache.isIntact(key: key) { return detail }
                        options.report(.note, "warning: the cached snapshot \(snapshot) is damaged "
                                       + "(its checksum does not match); it is deleted and rebuilt")
                        cache.discard(key: key)
                    }
                    options.report(.seeding, "\(options.seed.count) step(s)")
                    let rows = try await seeder.build(to: snapshot)
                    cache.makePrivate(snapshot)
                    try cache.seal(key: key)
                    return "seeded \(options.seed.count) step(s), \(rows) fixture row(s), snapshot \(key.prefix(12))"
                }
            }
        } else {
            snapshot = cache.temporaryPath(in: cache.uncachedDirectory, name: options.serviceName)
            options.report(.seeding, "\(options.seed.count) step(s), not cacheable")
            let rows = try await seeder.build(to: snapshot)
            cache.makePrivate(snapshot)
            detail = "seeded \(options.seed.count) step(s), \(rows) fixture row(s), not cached (a command step is not cacheable)"
        }
        state.withLock {
            $0.snapshot = snapshot
            $0.ownsSnapshot = snapshot.hasPrefix(cache.uncachedDirectory + "/")
        }
        try cache.markCreated(options.path)
        state.withLock { $0.createdPath = true }
        let best: CloneMethod = options.environment[StorageBackend.variable] == "copy" ? .copy : .reflink
        let method = try SQLiteFiles.copyDatabase(from: snapshot, to: options.path, best: best)
        options.report(.note, "storage: \(method.rawValue) (the database from its snapshot)")
        let elapsed = (clock.now - began).components
        let milliseconds = Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
        options.report(.seeded, "\(detail) in \(String(format: "%.1f", milliseconds)) ms")
    }

    /// Refuses a file at the path that Testbed did not create (nor a killed run of it).
    private func checkPathIsOurs() throws {
        let path = options.path
        let alreadyCreated = state.withLock { $0.createdPath }
        if SQLiteFiles.exists(path), !alreadyCreated, !cache.wasCreated(path) {
            throw SQLiteError(code: .cantOpen, message: "service '\(options.serviceName)': \(path) already exists and Testbed did not create it; move it away or choose another path (Testbed never overwrites or deletes a database it did not create)")
        }
    }

    /// A health check: by default `PRAGMA quick_check` must answer `ok`; with `sql`, that query
    /// must run without error. Throws ``SQLiteError`` saying what failed. Blocks (it reads the
    /// whole file): call it from ``BlockingWork``.
    package func check(sql: String? = nil) throws {
        let path = options.path
        do {
            guard SQLiteFiles.exists(path) else {
                throw SQLiteError(code: .cantOpen, message: "the database file does not exist")
            }
            let database = try SQLiteDatabase(path: path, flags: .readWrite)
            defer { database.close() }
            try SQLiteSeeder.apply(options.spec.pragmas, to: database)
            if let sql {
                try database.execute(sql)
            } else {
                let rows = try database.query("PRAGMA quick_check")
                guard rows.count == 1, rows[0].first == .text("ok") else {
                    let problems = rows.prefix(5).compactMap { $0.first?.stringValue }.joined(separator: "; ")
                    throw SQLiteError(code: .corrupt, message: "PRAGMA quick_check reports: \(problems)")
                }
            }
        } catch let error as SQLiteError {
            var wrapped = error
            wrapped.message = "service '\(options.serviceName)': check of \(path) failed (\(sql ?? "PRAGMA quick_check")): \(error.message)"
            throw wrapped
        }
    }

    /// Puts the database back to its seeded state, through the backup API so connections
    /// other processes hold stay valid (they see the new content at their next transaction).
    /// Throws ``SQLiteError``; waits up to ``SQLiteDatabase/busyTimeout`` for a writer to finish.
    /// Blocks: call it from ``BlockingWork``.
    package func reset() throws {
        let snapshot = try requireSnapshot()
        let database = try SQLiteDatabase(path: options.path)
        defer { database.close() }
        try database.restore(from: snapshot)
    }

    /// Writes an independent, seeded copy of the database to `path` (e.g. one per test).
    /// The caller owns the copy; ``stop()`` does not delete it. Blocks: call it from ``BlockingWork``.
    package func copy(to path: String) throws {
        try SQLiteFiles.copyDatabase(from: try requireSnapshot(), to: path)
    }

    private func requireSnapshot() throws -> String {
        guard let snapshot = state.withLock({ $0.snapshot }) else {
            throw SQLiteError(code: .misuse, message: "service '\(options.serviceName)': the database has not been started")
        }
        return snapshot
    }

    /// Deletes the database (and its `-wal`, `-shm`, `-journal` files) if Testbed created it,
    /// and a snapshot of an uncacheable seed. Cached snapshots stay for the next run. Idempotent.
    package func stop() {
        let current = state.withLock { state -> State in
            defer { state = State() }
            return state
        }
        if current.createdPath {
            SQLiteFiles.removeDatabase(options.path)
            cache.unmarkCreated(options.path)
        }
        if current.ownsSnapshot, let snapshot = current.snapshot {
            SQLiteFiles.removeDatabase(snapshot)
        }
    }
}
