import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem
import TestbedSeed

extension PostgresCluster {
    /// The cache key of the seeded cluster; a missing seed file is a ``SeedError``.
    func seededKey(base: String) throws -> String {
        for resolved in options.seed {
            for path in resolved.absolutePaths where access(path, R_OK) != 0 {
                throw SeedError(service: options.serviceName, file: path, message: "cannot read the file",
                                step: resolved.step.location)
            }
        }
        return try ClusterCache.seededKey(base: base, spec: spec, steps: options.seed)
    }

    /// Builds the seeded cluster in `directory` with the cache entry `lease` held: a
    /// pristine cluster, one server session that creates the databases, seeds them and
    /// makes the templates, then a clean shutdown. The run's data directory and the cache
    /// entry are then made from it holding one copy of the data (see
    /// ``makeDataDirectory(fromBuild:lease:storage:)``): a reflink clone while the cache is
    /// written in the background, or the cache written first and `directory` renamed.
    func buildSeeded(in directory: String, base: String, lease: ClusterCache.Lease) async throws {
        let clock = ContinuousClock()
        var marks = [clock.now]
        let storage = try buildStorage()
        let pristine = try await preparePristine(in: directory, base: base, owner: account.user)
        marks.append(clock.now)
        _ = try await seed(in: directory, role: "build", tcp: false)
        marks.append(clock.now)
        await stopServer(role: "build", fast: true)
        marks.append(clock.now)
        let made = try await makeDataDirectory(fromBuild: directory, lease: lease, storage: storage)
        marks.append(clock.now)
        let spans = zip(marks, marks.dropFirst()).map { Self.ms($1 - $0) }
        options.report(.note, "storage: \(storage.rawValue) (the run's data directory from the build)")
        options.report(.note, "built: \(pristine) \(spans[0]) ms, server + databases + seed + templates \(spans[1]) ms, "
                       + "shutdown \(spans[2]) ms, \(made) \(spans[3]) ms")
    }

    /// Starts a server on `directory` (a pristine cluster), creates the databases,
    /// applies the seed steps and creates the template databases, all in one session.
    func seed(in directory: String, role: String, tcp: Bool) async throws -> PostgresServer {
        let server = try await runningServer(directory, role: role, tcp: tcp)
        // libpq calls from here on: on blocking-work threads.
        try await withTaskExecutorPreference(BlockingWork.executor) {
            try self.createDatabases()
            self.options.report(.seeding, self.options.seed.isEmpty ? "creating template databases" : "\(self.options.seed.count) step(s)")
            let report = self.options.report
            let seeder = PostgresSeeder(
                serviceName: self.options.serviceName, defaultDatabase: self.spec.databases[0],
                connect: { database throws(PostgresError) in try self.connect(database) },
                commandEnvironment: self.commandEnvironment, logDirectory: self.options.serviceDirectory,
                onStep: { report(.progress, $0.progressName) })
            try await seeder.apply(self.options.seed)
            try self.createTemplates()
        }
        return server
    }

    /// Fills `directory` (which must not exist) with a cluster fresh from `initdb`, owned
    /// by `owner`: a copy of the cached base when there is one; else initdb runs (as the
    /// builder, which has a passwd entry) in `base-staging`, `directory` gets a copy for
    /// `owner`, and the initdb output (a clean cluster: nothing has run on it yet) is
    /// published as the base in the background.
    @discardableResult
    func preparePristine(in directory: String, base: String, owner: UnixUser?) async throws -> String {
        if cache.exists(base), try await unpackCached(base, to: directory, owner: owner, retrying: true) {
            return "base cache copied"
        }
        let staging = options.serviceDirectory + "/base-staging"
        ClusterFiles.remove(staging)
        do {
            try await initdb(into: staging)
            try await BlockingWork.run { () -> Result<Void, PostgresError> in
                Result { () throws(PostgresError) in try ClusterFiles.copyTree(from: staging, to: directory, owner: owner) }
            }.get()
        } catch {
            ClusterFiles.remove(staging)
            throw error
        }
        // Another process that is building this base publishes the same files: skip.
        guard let lease = try cache.tryLease(base) else {
            ClusterFiles.remove(staging)
            return "initdb"
        }
        publishInBackground(lease, from: staging) { ClusterFiles.remove(staging) }
        return "initdb + copy for the cache"
    }

    /// Packs the clean cluster at `source` into the cache entry `lease` holds on a
    /// thread of its own, publishes it, gives the lease up and calls `then` (on that
    /// thread: it may delete `source`).
    /// ``stop()`` waits for it: a run that ends early still fills the cache.
    func publishInBackground(_ lease: ClusterCache.Lease, from source: String, then: @escaping @Sendable () -> Void) {
        let report = options.report
        let task = Task {
            let clock = ContinuousClock()
            let began = clock.now
            let outcome = await BlockingWork.run { () -> String in
                defer {
                    lease.release()
                    then()
                }
                do {
                    try lease.publishCopy(of: source)
                    return "\(lease.name.prefix(while: { $0 != "-" })) cache written in \(Self.ms(clock.now - began)) ms"
                } catch {
                    return "cannot write the cache entry \(lease.name): \(error)"
                }
            }
            report(.note, outcome)
        }
        publications.withLock { $0.append(task) }
    }

    /// Waits for the background cache writes.
    func awaitPublications() async {
        let pending = publications.withLock { tasks in
            defer { tasks = [] }
            return tasks
        }
        for task in pending { await task.value }
    }

    /// `initdb` into `directory` (created here for the builder), run as the builder.
    ///
    /// The cluster has no password (a run sets its own, see ``setPassword()``); its own
    /// `pg_hba.conf` is not used (the run's `hba_file` is), but says the same.
    func initdb(into directory: String) async throws {
        try makeDataDirectory(directory, owner: account.builder)
        var arguments = ["-D", directory, "--auth-local=trust", "--auth-host=scram-sha-256", "-U", spec.user,
                         "--no-sync", "--no-instructions", "--wal-segsize=1", "-E", "UTF8", "--locale=C"]
        arguments += spec.initdbOptions
        let initdbLog = options.serviceDirectory + "/initdb.log"
        let process: ServiceProcess
        do {
            process = try ServiceProcess(.init(
                executable: installation.initdb, arguments: arguments, environment: PostgresServer.serverEnvironment,
                workingDirectory: options.serviceDirectory, logFile: initdbLog, user: account.builder))
        } catch {
            throw PostgresError(code: .cache, message: "cannot run initdb: \(error)")
        }
        let status = await process.waitForExit()
        await process.stop([.kill])
        guard status.isSuccess else {
            let lines = process.log.lastLines(12)
            if lines.contains(where: PostgresServer.saysDiskFull) {
                throw ClusterFiles.diskFull("initdb could not write the new cluster in \(directory)", logLines: lines)
            }
            throw PostgresError(code: .cache, message: "initdb failed (\(status))",
                                hint: "check initdb_options in the manifest", logLines: process.log.lastLines(12))
        }
    }

    /// Creates the spec's databases that do not exist yet (`postgres` does).
    func createDatabases() throws(PostgresError) {
        let admin = try connect("postgres")
        defer { admin.close() }
        let existing = Set(try admin.query("SELECT datname FROM pg_database").compactMap { $0[0] })
        for database in spec.databases where !existing.contains(database) {
            // FILE_COPY: WAL_LOG (the default) would write every block of template1 to WAL.
            try admin.execute("CREATE DATABASE \(quoteIdentifier(database)) STRATEGY FILE_COPY")
        }
    }

    /// Creates `DB__testbed_template` from each seeded database: the source of
    /// ``reset(database:)`` and ``cloneDatabase(named:from:)``. Templates refuse
    /// connections so that nothing can block a copy. Each has a fixed OID, so that a warm
    /// start can leave its folder in the pack (see ``DeferredTemplates``).
    func createTemplates() throws(PostgresError) {
        let admin = try connect(maintenanceDatabase(avoiding: nil))
        defer { admin.close() }
        for (index, database) in spec.databases.enumerated() {
            try endSessions(on: database, admin: admin)
            try admin.execute("""
                CREATE DATABASE \(quoteIdentifier(Self.templateName(database))) TEMPLATE \(quoteIdentifier(database)) \
                STRATEGY FILE_COPY IS_TEMPLATE true ALLOW_CONNECTIONS false OID \(DeferredTemplates.oid(index))
                """)
        }
    }

    static func templateName(_ database: String) -> String { database + "__testbed_template" }

    /// A database to connect to for administration that is not `avoiding`.
    func maintenanceDatabase(avoiding database: String?) -> String {
        database == "postgres" ? "template1" : "postgres"
    }

    /// A connection over the Unix socket as the cluster's user.
    func connect(_ database: String) throws(PostgresError) -> PGConnection {
        try connector.connect(database)
    }

    /// Ends every other session on `database` and returns once their processes are gone:
    /// the server's own wait for them (in DROP, RENAME and CREATE ... TEMPLATE) sleeps
    /// 100 ms at a time.
    func endSessions(on database: String, admin: PGConnection) throws(PostgresError) {
        try connector.endSessions(on: database, admin: admin)
    }

    /// The environment of a command seed step: the caller's plus the connection values.
    func commandEnvironment(_ database: String) -> [String: String] {
        var environment = options.environment
        environment["DATABASE_URL"] = url(database: database, socketOnly: true)
        environment["PGHOST"] = socketDirectory
        environment["PGPORT"] = String(port)
        environment["PGUSER"] = spec.user
        environment["PGDATABASE"] = database
        if let password { environment["PGPASSWORD"] = password }
        if environment["PATH"] == nil { environment["PATH"] = ProcessInfo.processInfo.environment["PATH"] }
        return environment
    }
}
