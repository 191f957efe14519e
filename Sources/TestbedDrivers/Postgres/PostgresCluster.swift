import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem
import TestbedModel
import TestbedSeed

/// A PostgreSQL cluster of one run: copied from a cache of initialized and seeded
/// clusters, started directly, reset and cloned through template databases, and
/// removed without a trace when stopped.
///
/// `serviceDirectory` stays the caller's: it holds what the caller writes (the server
/// log `postgres.log`, `initdb.log`, seed logs, `pg_hba.conf`), so root never opens a
/// file in a folder another account can write. Below it, the server's account owns
/// `data` (the data directory, 0700) and `socket` (the Unix socket's folder, 0711). As
/// root, the server runs as a user id leased for the run, or `spec.runAs` (see `ServerAccount`).
///
/// Authentication: `trust` on the Unix socket (only its owner and root can reach it);
/// with TCP, a password on every TCP login (`scram-sha-256`): the manifest's, or one
/// generated for the run. It is set after each start, never stored in the cache.
public final class PostgresCluster: Sendable {
    /// What the runtime hands the driver.
    public struct Options: Sendable {
        /// The service's name in the manifest, for messages and seed errors.
        package var serviceName: String
        /// The manifest's `postgres:` block: databases, user, settings and server version.
        package var spec: PostgresSpec
        /// Fixture steps, applied in order when the seeded cluster is built.
        package var seed: [PlannedSeedStep]
        /// An empty folder inside the run directory (created by the runtime; on tmpfs).
        package var serviceDirectory: String
        /// The loopback TCP port when `spec.tcp`; nil: Unix socket only.
        package var port: Int?
        /// The caller's environment plus the service's, for command seed steps.
        package var environment: [String: String]
        /// e.g. `~/.cache/testbed`; this driver owns `cacheRoot/postgres`.
        package var cacheRoot: String
        /// Receives the driver's progress (seeding, seeded, cache notes); the default ignores it.
        package var report: PhaseReporter
        /// Other accounts of the same run that connect over the Unix socket (a pgbouncer
        /// running as `postgres`, as root): each gets an ACL entry on the socket and search on
        /// the folders above it. Empty by default: the socket is the server account's alone.
        package var socketClients: [UnixUser] = []

        /// Collects the options; `seed`, `port`, `environment` and `report` may be left out.
        package init(serviceName: String, spec: PostgresSpec, seed: [PlannedSeedStep] = [],
                    serviceDirectory: String, port: Int? = nil, environment: [String: String] = [:],
                    cacheRoot: String, report: @escaping PhaseReporter = { _, _ in }) {
            self.serviceName = serviceName
            self.spec = spec
            self.seed = seed
            self.serviceDirectory = serviceDirectory
            self.port = port
            self.environment = environment
            self.cacheRoot = cacheRoot
            self.report = report
        }
    }

    let options: Options
    let installation: PostgresInstallation
    let account: ServerAccount
    let cache: ClusterCache
    /// The port in the socket's name (and the TCP port when `spec.tcp`).
    let port: Int
    let dataDirectory: String
    let logFile: String
    /// The run's `pg_hba.conf`, written by the caller (see ``PostgresServer/hbaRules``).
    let hbaFile: String
    /// The role's password: the manifest's, else a random one when the server listens on
    /// TCP; nil for a Unix socket only.
    let password: String?
    /// Servers of this cluster that are running: the final one and, while the seeded
    /// cache entry is built, the build one. Guarded so `stop()` can end both.
    let servers = Mutex<[String: PostgresServer]>([:])
    /// Copies into the cache that run in the background; ``stop()`` waits for them.
    let publications = Mutex<[Task<Void, Never>]>([])
    /// The run's data directory in the reflink image, when a warm start cloned it there.
    let imageClone = Mutex<ImageClone?>(nil)
    /// The tree a warm start cloned the data directory from by reflink: a reset that covers
    /// the whole cluster clones it again (``resetByRecloning()``); nil for a copy or a cold start.
    let recloneSource = Mutex<RecloneSource?>(nil)
    let connector: ClusterConnector
    /// The spare copies of the seeded databases that make resets and clones fast.
    let spares: SpareDatabases
    /// Connections kept for clones and drops that run side by side (a pool's refill).
    let adminConnections: AdminConnections
    /// The template databases' folders a warm start leaves in the cached pack until a
    /// reset or clone needs them.
    let templates: DeferredTemplates

    var spec: PostgresSpec { options.spec }
    var socketDirectory: String { Self.socketDirectory(serviceDirectory: options.serviceDirectory) }
    /// True when the server listens on TCP (`tcp`, `port`, or `listen_addresses` in `settings`).
    var listensOnTCP: Bool { Self.listensOnTCP(spec) }

    /// True when a server of `spec` listens on TCP, and so needs a password.
    package static func listensOnTCP(_ spec: PostgresSpec) -> Bool {
        spec.tcp || spec.settings.contains { $0.name.lowercased() == "listen_addresses" && !$0.value.isEmpty }
    }

    /// The folder of the Unix socket of a cluster in `serviceDirectory` (owned by the server's account).
    static func socketDirectory(serviceDirectory: String) -> String { serviceDirectory + "/socket" }

    /// `spec` as one run uses it: with a password generated for the run when the manifest
    /// sets none and the server listens on TCP, or a TCP listener logs in to it with the
    /// password (`fronted`: a `pgbouncer` preset, which never lets clients in without one).
    /// ``EnvironmentPlan`` calls it once, so the values and the cluster agree.
    package static func runSpec(_ spec: PostgresSpec, fronted: Bool = false) -> PostgresSpec {
        var spec = spec
        if (spec.password ?? "").isEmpty && (listensOnTCP(spec) || fronted) { spec.password = randomPassword() }
        return spec
    }

    /// Locates the server binaries and checks the options; starts nothing.
    ///
    /// Throws ``PostgresError``: `.installation` (no server: names the Debian package),
    /// `.account` (as root, no user to run the server as), `.startup` (bad options).
    /// Blocks (it locates the server, runs it once to read its version, and as root leases a
    /// user id): call it from ``BlockingWork``.
    package init(_ options: Options) throws {
        self.options = options
        guard !options.spec.databases.isEmpty else {
            throw PostgresError(code: .startup, message: "service '\(options.serviceName)': no database to create",
                                hint: "list at least one name in databases:")
        }
        self.port = options.port ?? options.spec.fixedPort ?? 5432
        let socketPath = options.serviceDirectory + "/socket/.s.PGSQL.\(port)"
        guard socketPath.utf8.count < 108 else {
            throw PostgresError(code: .startup, message: "the socket path \(socketPath) is longer than Linux allows (107 bytes)",
                                hint: "use a shorter run directory")
        }
        self.installation = try PostgresInstallation.locate(
            options.spec.server, path: options.environment["PATH"], scratchDirectory: options.serviceDirectory,
            cacheRoot: options.cacheRoot)
        self.account = try ServerAccount.forRun(runAs: options.spec.runAs)
        self.cache = ClusterCache(cacheRoot: options.cacheRoot)
        self.dataDirectory = options.serviceDirectory + "/data"
        try account.checkReaches(dataDirectory)
        self.logFile = Self.logFile(serviceDirectory: options.serviceDirectory)
        self.hbaFile = options.serviceDirectory + "/pg_hba.conf"
        if let given = options.spec.password, !given.isEmpty {
            self.password = given
        } else {
            self.password = Self.listensOnTCP(options.spec) ? Self.randomPassword() : nil
        }
        self.connector = ClusterConnector(socketDirectory: Self.socketDirectory(serviceDirectory: options.serviceDirectory),
                                          port: port, user: options.spec.user, password: nil)
        self.templates = DeferredTemplates(
            dataDirectory: dataDirectory, staging: options.serviceDirectory + "/template-staging", owner: account.user,
            databases: options.spec.databases)
        self.adminConnections = AdminConnections(connector: connector)
        self.spares = SpareDatabases(connector: connector, templates: templates, connections: adminConnections)
    }

    /// The connection values, known before the start: `url`, `host`, `port`, `socket`,
    /// `database`, `user`, `password` (may be empty), `databases.NAME.url` and `log`.
    package var values: [String: String] {
        var spec = spec
        spec.password = password
        return Self.values(spec: spec, serviceDirectory: options.serviceDirectory, port: port)
    }

    /// The values a cluster of `spec` in `serviceDirectory` on `port` will have: what
    /// ``values`` returns, computed before any cluster exists (``EnvironmentPlan`` uses it).
    package static func values(spec: PostgresSpec, serviceDirectory: String, port: Int) -> [String: String] {
        let socketDirectory = socketDirectory(serviceDirectory: serviceDirectory)
        var values = [
            "url": url(spec: spec, socketDirectory: socketDirectory, port: port, database: spec.databases.first ?? ""),
            "host": spec.tcp ? "127.0.0.1" : socketDirectory,
            "port": String(port), "socket": socketDirectory, "database": spec.databases.first ?? "",
            "user": spec.user, "password": spec.password ?? "", "log": logFile(serviceDirectory: serviceDirectory),
        ]
        for database in spec.databases {
            values["databases.\(database).url"] = url(spec: spec, socketDirectory: socketDirectory, port: port, database: database)
        }
        return values
    }

    /// The server log of a cluster in `serviceDirectory`.
    static func logFile(serviceDirectory: String) -> String { serviceDirectory + "/postgres.log" }

    /// A `postgresql://` URL for `database`: over TCP when `spec.tcp`, else the socket.
    func url(database: String, socketOnly: Bool = false) -> String {
        Self.url(spec: spec, socketDirectory: socketDirectory, port: port, database: database,
                 password: password, socketOnly: socketOnly)
    }

    static func url(spec: PostgresSpec, socketDirectory: String, port: Int, database: String,
                    password: String? = nil, socketOnly: Bool = false) -> String {
        var auth = spec.user.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? spec.user
        if let password = password ?? spec.password, !password.isEmpty, !socketOnly {
            auth += ":" + (password.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? password)
        }
        let name = database.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? database
        if spec.tcp && !socketOnly { return "postgresql://\(auth)@127.0.0.1:\(port)/\(name)" }
        let host = socketDirectory.addingPercentEncoding(withAllowedCharacters: Self.unreserved.union(["/"])) ?? socketDirectory
        return "postgresql://\(auth)@/\(name)?host=\(host)&port=\(port)"
    }

    private static let unreserved = CharacterSet(charactersIn:
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// Copies (or builds, then caches) the seeded cluster, starts it, and returns once it
    /// accepts connections and holds the fixtures.
    ///
    /// Cold (no cache entry): initdb (or a copy of the cached base) in `build`, one
    /// server session that creates the databases, seeds and makes the templates, a clean
    /// shutdown; then `data` is a reflink clone of `build` while `build` goes to the cache
    /// in the background, or (no reflink) `build` is packed into the cache and renamed to
    /// `data`. Warm, with reflink (see ``StorageBackend``): a clone of the entry's unpacked
    /// tree (``ClusterTrees``). Warm without: a copy of the cached entry but its template
    /// databases, which stay in the pack until the first reset or clone
    /// (`DeferredTemplates`). Then the server starts. The spare databases for resets are made at the first reset or clone, or when
    /// asked (``prepareResets()``).
    ///
    /// Throws ``PostgresError`` or ``SeedError``; on any failure nothing of the cluster
    /// is left running and its files are deleted.
    ///
    /// Runs on ``BlockingWork``'s threads (hashing the seed files, cache locks and folders,
    /// libpq), whatever the caller's executor.
    package func start() async throws -> ServiceProcess {
        try await withTaskExecutorPreference(BlockingWork.executor) { try await startBlocking() }
    }

    private func startBlocking() async throws -> ServiceProcess {
        let clock = ContinuousClock()
        let began = clock.now
        options.report(.starting, nil)
        do {
            try prepareServiceDirectory()
            let base = ClusterCache.baseKey(installation, spec: spec)
            var seedDetail = ""
            let server: PostgresServer
            if options.seed.allSatisfy(\.isCacheable) {
                let hashing = clock.now
                let key = try seededKey(base: base)
                let hashed = clock.now - hashing
                for attempt in 1...2 {
                    if let lease = try await cache.lease(key) {
                        do {
                            try await buildSeeded(in: options.serviceDirectory + "/build", base: base, lease: lease)
                        } catch {
                            lease.release()
                            throw error
                        }
                        seedDetail = "seeded in \(Self.ms(clock.now - began)) ms"
                        break
                    }
                    let copying = clock.now
                    var made = "unpacked"
                    let (storage, trees, why) = try warmStorage(key)
                    if let trees {
                        guard let method = try await cloneCached(key, from: trees, retrying: attempt == 1) else { continue }
                        if method == .reflink {
                            recloneSource.withLock { $0 = RecloneSource(key: key, trees: trees) }
                        }
                        made = method == .reflink ? "cloned by reflink" : "cloned (\(method.rawValue))"
                    } else {
                        guard try await unpackCached(key, to: dataDirectory, owner: account.user, retrying: attempt == 1,
                                                     deferTemplates: true) else { continue }
                    }
                    seedDetail = "seed cached"
                    let place = imageClone.withLock { $0 != nil } ? ", in the reflink image" : ""
                    options.report(.note, "storage: \(storage.rawValue) (the run's data directory from the cache\(place)"
                                   + (why.map { "; \($0)" } ?? "") + ")")
                    options.report(.note, "seed files hashed in \(Self.ms(hashed)) ms, "
                                   + "cached cluster \(made) in \(Self.ms(clock.now - copying)) ms")
                    break
                }
                let spawning = clock.now
                server = try await runningServer(dataDirectory, role: "main")
                options.report(.note, "postgres ready in \(Self.ms(clock.now - spawning)) ms")
            } else {
                try await preparePristine(in: dataDirectory, base: base, owner: account.user)
                server = try await seed(in: dataDirectory, role: "main", tcp: spec.tcp)
                seedDetail = "seeded in \(Self.ms(clock.now - began)) ms (not cached: a command step is not cacheable)"
            }
            options.report(.spawned, "pid \(server.process.pid)")
            options.report(.seeded, seedDetail)
            return server.process
        } catch {
            await stop()
            throw error
        }
    }

    static func ms(_ duration: Duration) -> Int { Int(duration.milliseconds.rounded()) }

    /// Stops the server at once (SIGQUIT to its group, then SIGKILL), waits for the
    /// background work (spare databases, which then fail; cache writes, which finish),
    /// and deletes the cluster's files; the log file stays. As root, the run's user id is
    /// given back (what still runs as it is killed): a stopped cluster is not started
    /// again. Safe to call more than once. Runs on ``BlockingWork``'s threads, like ``start()``.
    package func stop() async {
        await withTaskExecutorPreference(BlockingWork.executor) { await stopBlocking() }
    }

    private func stopBlocking() async {
        let background = await spares.close()
        let running = servers.withLock { servers in
            defer { servers = [:] }
            return Array(servers.values)
        }
        let clock = ContinuousClock()
        let began = clock.now
        for server in running { await server.stop(fast: false) }
        for task in background { await task.value }
        // A reset that re-cloned meanwhile (it was under way) started a server of its own.
        for server in servers.withLock({ servers in defer { servers = [:] }; return Array(servers.values) }) {
            await server.stop(fast: false)
        }
        await spares.finish()
        adminConnections.close()
        await awaitPublications()
        let stopped = clock.now
        // Trees the server's account owns are removed without following anything in them;
        // thousands of files, so on a blocking-work thread.
        let (serviceDirectory, staging) = (options.serviceDirectory, templates.stagingFolders)
        let clone = imageClone.withLock { clone in
            defer { clone = nil }
            return clone
        }
        await BlockingWork.run {
            for leftover in ["data", "build", "base-staging", "socket", "pg_hba.conf"] {
                ClusterFiles.remove(serviceDirectory + "/" + leftover)
            }
            staging.forEach(ClusterFiles.remove)
            clone?.remove()
        }
        // Only now, with its servers gone: what still runs as the run's id is killed.
        account.release()
        if !running.isEmpty {
            options.report(.note, "stopped in \(Self.ms(stopped - began)) ms, files removed in \(Self.ms(clock.now - stopped)) ms")
        }
    }

    /// Starts a server on `directory` as the run's account and registers it under `role` for ``stop()``.
    func runningServer(_ directory: String, role: String, tcp: Bool? = nil) async throws -> PostgresServer {
        let user = account.user
        var settings = PostgresServer.settings(socketDirectory: socketDirectory, tcp: tcp ?? spec.tcp,
                                               hbaFile: hbaFile, overrides: spec.settings)
        if role != "main" {
            // A cluster that will be cached: checkpoint often so that few WAL segments
            // are kept (each is copied with every start).
            settings.removeAll { $0.name == "max_wal_size" || $0.name == "min_wal_size" }
            settings += [("min_wal_size", "2MB"), ("max_wal_size", "4MB")]
        }
        let server = try await PostgresServer.start(
            installation, dataDirectory: directory, port: port, settings: settings, user: user, logFile: logFile)
        servers.withLock { $0[role] = server }
        if role == "main" {
            try grantSocketClients()
            try await setPassword()
        }
        return server
    }

    /// Stops the server registered under `role`: a clean shutdown when `fast`.
    func stopServer(role: String, fast: Bool) async {
        guard let server = servers.withLock({ $0.removeValue(forKey: role) }) else { return }
        await server.stop(fast: fast)
    }
}
