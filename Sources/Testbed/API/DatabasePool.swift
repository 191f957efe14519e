import Foundation
import TestbedSystem
import TestbedDrivers

/// Fresh, seeded databases for single tests, handed out from a pool that is refilled in the
/// background.
///
/// For a `postgres` service the pool keeps ``Options/size`` clones of the seeded database
/// ready (`CREATE DATABASE … TEMPLATE … STRATEGY FILE_COPY`, named
/// `<database>_t<counter>_<random>`), so ``checkout()`` from a warm pool only takes one off a
/// list; every hand-out starts a refill. For an `sqlite` service each checkout copies the
/// seeded file to its own path (under the run directory, so it goes with the environment).
///
/// ```swift
/// let pool = try await DatabasePool(environment: environment, service: "db")
/// let database = try await pool.checkout()   // database.url, database.name
/// defer { Task { try await pool.checkin(database) } }
/// ...
/// await pool.shutdown()                       // before environment.stop()
/// ```
/// ``checkin(_:)`` gives a database back: it is dropped in the background (its connections
/// are ended; `waitForDrops()` waits for that); ``shutdown()`` drops every database the
/// pool made. Blocking server calls run on Dispatch threads, not on the
/// cooperative pool. Stopping the environment also removes all clones (they live in its
/// cluster), so a pool that was never shut down leaves nothing behind either.
public actor DatabasePool {
    /// How many databases to keep ready, and which one to clone.
    public struct Options: Sendable {
        /// Clones kept ready for postgres (default 4); sqlite copies are made on demand.
        public var size: Int
        /// The database of the service to clone (default: its first).
        public var database: String?
        /// Clones created at the same time while refilling (default 4): copies made side
        /// by side share the server's checkpoints.
        public var concurrentCreations: Int
        /// Checked-in postgres databases dropped at the same time, in the background (default 2).
        public var concurrentDrops: Int
        /// Checked-in postgres databases that may wait for their drop (default 16): a
        /// ``DatabasePool/checkin(_:)`` beyond it waits, so used copies cannot pile up in memory.
        public var pendingDropLimit: Int

        /// Negative sizes count as 0; at least one creation and one drop run at a time.
        public init(size: Int = 4, database: String? = nil, concurrentCreations: Int = 4, concurrentDrops: Int = 2,
                    pendingDropLimit: Int = 16) {
            self.size = max(0, size)
            self.database = database
            self.concurrentCreations = max(1, concurrentCreations)
            self.concurrentDrops = max(1, concurrentDrops)
            self.pendingDropLimit = max(0, pendingDropLimit)
        }
    }

    /// Counters, for tests and benchmarks.
    public struct Statistics: Sendable, Hashable {
        /// Databases created (cloned or copied).
        public var created = 0
        /// Databases handed out by ``DatabasePool/checkout()``.
        public var checkedOut = 0
        /// Databases dropped (checked in, or at shutdown).
        public var dropped = 0
        /// Ready to hand out now.
        public var ready = 0
    }

    enum Backend: Sendable {
        case postgres(PostgresCluster, url: String, database: String)
        case sqlite(SQLiteStore, directory: String)
    }

    /// The service the databases are cloned from.
    public let service: String
    /// The options the pool was made with.
    public let options: Options
    let backend: Backend
    /// Where the pool's libpq calls and file copies run (see ``BlockingWork``).
    private let executor = BlockingWork.executor
    private var ready: [TestDatabase] = []
    private var outstanding: [String: TestDatabase] = [:]
    private var creating = 0
    private var counter = 0
    private var waiters: [CheckedContinuation<TestDatabase, any Error>] = []
    private var warmWaiters: [CheckedContinuation<Void, any Error>] = []
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    private var lastError: (any Error)?
    private var isShutDown = false
    /// Checked-in postgres databases waiting for their drop, and drops under way.
    private var dropQueue: [TestDatabase] = []
    private var dropping = 0
    /// Callers waiting for the drops to catch up (checkins beyond the limit, the shutdown).
    private var dropWaiters: [CheckedContinuation<Void, Never>] = []
    /// The failure of a background drop, reported by the next checkin.
    private var dropError: (any Error)?
    /// What the pool has done so far.
    public private(set) var statistics = Statistics()

    /// A pool for `service` of a started environment; postgres pools start filling at once.
    ///
    /// Throws ``EnvironmentError`` (`.databaseFailed`) when the service is neither postgres
    /// nor sqlite, or the environment is not started.
    public init(environment: Environment, service: String, options: Options = Options()) async throws {
        self.service = service
        self.options = options
        if let cluster = await environment.postgresCluster(for: service) {
            let values = cluster.values
            let database = options.database ?? values["database"] ?? ""
            guard let url = values["databases.\(database).url"] else {
                throw EnvironmentError(.databaseFailed, service: service, "service '\(service)' has no database '\(database)'",
                                       hint: "name one of the service's databases: in DatabasePool.Options(database:)")
            }
            backend = .postgres(cluster, url: url, database: database)
        } else if let store = await environment.sqliteStore(for: service) {
            guard let run = await environment.runDirectory else {
                throw EnvironmentError(.databaseFailed, service: service, "the environment has not been started",
                                       hint: "call start() before making a DatabasePool")
            }
            let directory = run.path + "/\(service)/test-copies"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            backend = .sqlite(store, directory: directory)
        } else {
            let services = environment.manifest.services.map(\.name).joined(separator: ", ")
            throw EnvironmentError(.databaseFailed, service: service,
                                   "'\(service)' is not a started postgres or sqlite service of this environment",
                                   hint: "services: \(services)")
        }
        refill()
    }

    /// A pool over a started cluster, without an environment (tests and benchmarks).
    init(cluster: PostgresCluster, service: String, options: Options = Options()) async throws {
        self.service = service
        self.options = options
        let database = options.database ?? cluster.values["database"] ?? ""
        guard let url = cluster.values["databases.\(database).url"] else {
            throw EnvironmentError(.databaseFailed, service: service, "service '\(service)' has no database '\(database)'")
        }
        backend = .postgres(cluster, url: url, database: database)
        refill()
    }

    /// Hands out a database of its own to one caller: at once from a warm postgres pool,
    /// else as soon as a clone is made. Check it in when done (or let ``shutdown()`` drop it).
    ///
    /// Throws ``EnvironmentError`` when cloning fails or the pool was shut down.
    public func checkout() async throws -> TestDatabase {
        try checkOpen()
        switch backend {
        case .sqlite(let store, let directory):
            let name = nextName(base: service) + ".sqlite"
            let path = directory + "/" + name
            try await withTaskExecutorPreference(executor) { try await Self.copy(store, to: path) }
            let database = TestDatabase(service: service, kind: .sqlite, name: name, url: SQLiteStore.url(forPath: path),
                                        path: path)
            statistics.created += 1
            return handOut(database)
        case .postgres:
            if !ready.isEmpty {
                let database = ready.removeFirst()
                refill()
                return handOut(database)
            }
            lastError = nil
            let database = try await withCheckedThrowingContinuation { waiters.append($0); refill() }
            return handOut(database)
        }
    }

    /// Gives back a database handed out by this pool: it is dropped (its connections are
    /// ended) and forgotten. A database this pool did not hand out, or already gave back,
    /// is ignored.
    ///
    /// A postgres database is dropped in the background (a drop waits for a checkpoint);
    /// this returns at once unless ``Options/pendingDropLimit`` databases already wait for
    /// theirs. Throws the failure of an earlier background drop, once.
    public func checkin(_ database: TestDatabase) async throws {
        guard outstanding.removeValue(forKey: database.name) != nil else { return }
        guard case .postgres = backend else { return try await drop(database) }
        dropQueue.append(database)
        startDrops()
        while dropQueue.count + dropping > options.pendingDropLimit {
            await withCheckedContinuation { dropWaiters.append($0) }
        }
        if let failure = dropError {
            dropError = nil
            throw failure
        }
    }

    /// Waits until ``Options/size`` postgres clones are ready (at once for sqlite), e.g.
    /// before timing checkouts. Throws the error that stopped the refill.
    public func prepared() async throws {
        try checkOpen()
        guard case .postgres = backend, ready.count < options.size else { return }
        if let lastError { throw lastError }
        try await withCheckedThrowingContinuation { warmWaiters.append($0) }
    }

    /// Stops refilling, waits for clones being made, and drops every database the pool made:
    /// ready ones and handed-out ones alike. Later checkouts throw. Safe to call more than once.
    public func shutdown() async {
        isShutDown = true
        let closed = EnvironmentError(.interrupted, service: service, "the database pool was shut down")
        for waiter in waiters { waiter.resume(throwing: closed) }
        for waiter in warmWaiters { waiter.resume(throwing: closed) }
        waiters = []
        warmWaiters = []
        while creating > 0 { await withCheckedContinuation { idleWaiters.append($0) } }
        let leftovers = ready + outstanding.values
        ready = []
        outstanding = [:]
        if case .postgres = backend {
            dropQueue += leftovers
            startDrops()
            await waitForDrops()
            dropError = nil
        } else {
            for database in leftovers { try? await drop(database) }
        }
        if case .sqlite(_, let directory) = backend {
            await BlockingWork.run { try? FileManager.default.removeItem(atPath: directory) }  // the copies: many MB
        }
    }

    /// Waits until every postgres database checked in so far is dropped (the drops run in
    /// the background; see ``checkin(_:)``).
    public func waitForDrops() async {
        while dropQueue.count + dropping > 0 { await withCheckedContinuation { dropWaiters.append($0) } }
    }

    private func checkOpen() throws {
        if isShutDown {
            throw EnvironmentError(.interrupted, service: service, "the database pool was shut down",
                                   hint: "make a new DatabasePool")
        }
    }

    private func handOut(_ database: TestDatabase) -> TestDatabase {
        outstanding[database.name] = database
        statistics.checkedOut += 1
        statistics.ready = ready.count
        return database
    }

    /// `<base>_t<counter>_<6 hex digits>`, short enough for PostgreSQL's 63-byte names.
    private func nextName(base: String) -> String {
        counter += 1
        let random = String(UInt32.random(in: 0..<0x100_0000), radix: 16)
        let suffix = "_t\(counter)_" + String(repeating: "0", count: 6 - random.count) + random
        return String(base.utf8.prefix(63 - suffix.utf8.count)).map { $0 + suffix } ?? base + suffix
    }

    /// Starts clones until ready + being made covers the pool size and the waiting callers.
    private func refill() {
        guard !isShutDown, case .postgres(let cluster, let url, let source) = backend else { return }
        while ready.count + creating < options.size + waiters.count, creating < options.concurrentCreations {
            creating += 1
            let name = nextName(base: source)
            let database = TestDatabase(service: service, kind: .postgres, name: name,
                                        url: TestDatabase.postgresURL(url, replacingDatabaseWith: name))
            Task(executorPreference: executor) {
                do {
                    try await cluster.cloneDatabase(named: name, from: source)
                    await self.created(database)
                } catch {
                    await self.creationFailed(error)
                }
            }
        }
    }

    private func created(_ database: TestDatabase) async {
        creating -= 1
        statistics.created += 1
        if isShutDown {
            ready.append(database)
        } else if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: database)
        } else {
            ready.append(database)
            if ready.count >= options.size {
                for waiter in warmWaiters { waiter.resume() }
                warmWaiters = []
            }
        }
        statistics.ready = ready.count
        finishedCreating()
        refill()
    }

    private func creationFailed(_ error: any Error) {
        creating -= 1
        let failure = EnvironmentError(.databaseFailed, service: service, "cannot clone a test database: \(error)")
        lastError = failure
        // Callers waiting now get the error; the next checkout tries again.
        for waiter in waiters { waiter.resume(throwing: failure) }
        for waiter in warmWaiters { waiter.resume(throwing: failure) }
        waiters = []
        warmWaiters = []
        finishedCreating()
    }

    private func finishedCreating() {
        guard creating == 0 else { return }
        for waiter in idleWaiters { waiter.resume() }
        idleWaiters = []
    }

    /// Starts background drops of checked-in postgres databases, up to ``Options/concurrentDrops``.
    private func startDrops() {
        guard case .postgres(let cluster, _, _) = backend else { return }
        while dropping < options.concurrentDrops, !dropQueue.isEmpty {
            let database = dropQueue.removeFirst()
            dropping += 1
            Task(executorPreference: executor) {
                do {
                    try await cluster.dropDatabase(named: database.name)
                    await self.dropFinished(nil)
                } catch {
                    await self.dropFinished(error)
                }
            }
        }
    }

    private func dropFinished(_ failure: (any Error)?) {
        dropping -= 1
        if let failure {
            dropError = EnvironmentError(.databaseFailed, service: service, "cannot drop a checked-in test database: \(failure)")
        } else {
            statistics.dropped += 1
        }
        startDrops()
        // Each waiter checks its own condition again.
        let waiting = dropWaiters
        dropWaiters = []
        for waiter in waiting { waiter.resume() }
    }

    private func drop(_ database: TestDatabase) async throws {
        switch backend {
        case .postgres(let cluster, _, _):
            try await withTaskExecutorPreference(executor) { try await cluster.dropDatabase(named: database.name) }
        case .sqlite:
            if let path = database.path { SQLiteFiles.removeDatabase(path) }
        }
        statistics.dropped += 1
    }

    private nonisolated static func copy(_ store: SQLiteStore, to path: String) async throws {
        try store.copy(to: path)
    }
}
