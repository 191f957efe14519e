import Foundation
#if canImport(Glibc)
import Glibc
#endif

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

    /// Copies the base cluster to `directory`, starts it, applies the seed steps and
    /// creates the template databases. `final`: the server keeps running (role `main`,
    /// TCP as the spec says); otherwise it listens on the socket only and is shut down
    /// cleanly so the directory can be cached.
    func buildSeeded(in directory: String, base: String, final: Bool) async throws -> PostgresServer {
        let basePath = try await cache.entry(base) { temporary in try await self.buildBase(into: temporary) }.path
        try ClusterFiles.copyTree(from: basePath, to: directory, owner: account.user)
        let role = final ? "main" : "build"
        let server = try await runningServer(directory, role: role, tcp: final ? spec.tcp : false)
        options.report(.seeding, options.seed.isEmpty ? "creating template databases" : "\(options.seed.count) step(s)")
        let seeder = PostgresSeeder(
            serviceName: options.serviceName, defaultDatabase: spec.databases[0],
            connect: { database throws(PostgresError) in try self.connect(database) },
            commandEnvironment: commandEnvironment, logDirectory: options.serviceDirectory)
        try await seeder.apply(options.seed)
        try createTemplates()
        if !final { await stopServer(role: role, fast: true) }
        return server
    }

    /// `initdb` into a folder the server user owns, then the databases, then a clean
    /// shutdown; the result is copied (by the caller's identity) to `destination`.
    func buildBase(into destination: String) async throws {
        let work = options.serviceDirectory + "/initdb"
        defer { ClusterFiles.remove(work) }
        ClusterFiles.remove(work)
        var arguments = ["-D", work, "-A", "trust", "-U", spec.user, "--no-sync", "--wal-segsize=1",
                         "-E", "UTF8", "--locale=C"]
        let passwordFile = options.serviceDirectory + "/.pwfile"
        defer { unlink(passwordFile) }
        if let password = spec.password, !password.isEmpty {
            guard FileManager.default.createFile(atPath: passwordFile, contents: Data((password + "\n").utf8),
                                                 attributes: [.posixPermissions: 0o600]) else {
                throw PostgresError(code: .cache, message: "cannot write \(passwordFile)")
            }
            try account.own(passwordFile)
            arguments += ["--pwfile=\(passwordFile)", "--auth-host=scram-sha-256"]
        }
        arguments += spec.initdbOptions
        let initdbLog = options.serviceDirectory + "/initdb.log"
        let process: ServiceProcess
        do {
            process = try ServiceProcess(.init(
                executable: installation.initdb, arguments: arguments, environment: PostgresServer.serverEnvironment,
                workingDirectory: options.serviceDirectory, logFile: initdbLog, user: account.user))
        } catch {
            throw PostgresError(code: .cache, message: "cannot run initdb: \(error)")
        }
        let status = await process.waitForExit()
        await process.stop([.kill])
        guard status.isSuccess else {
            throw PostgresError(code: .cache, message: "initdb failed (\(status))",
                                hint: "check initdb_options in the manifest", logLines: process.log.lastLines(12))
        }
        let server = try await runningServer(work, role: "initdb", tcp: false)
        _ = server
        do {
            let admin = try connect("postgres")
            defer { admin.close() }
            for database in spec.databases {
                let exists = try admin.query("SELECT 1 FROM pg_database WHERE datname = $1", parameters: [database])
                if exists.isEmpty {
                    // FILE_COPY: WAL_LOG (the default) would write every block of template1 to WAL.
                    try admin.execute("CREATE DATABASE \(quoteIdentifier(database)) STRATEGY FILE_COPY")
                }
            }
        } catch {
            await stopServer(role: "initdb", fast: false)
            throw error
        }
        await stopServer(role: "initdb", fast: true)
        try ClusterFiles.copyTree(from: work, to: destination)
    }

    /// Creates `DB__testbed_template` from each seeded database: the source of
    /// ``reset(database:)`` and ``cloneDatabase(named:from:)``. Templates refuse
    /// connections so that nothing can block a copy.
    func createTemplates() throws(PostgresError) {
        let admin = try connect(maintenanceDatabase(avoiding: nil))
        defer { admin.close() }
        for database in spec.databases {
            let template = quoteIdentifier(Self.templateName(database))
            try admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                            parameters: [database])
            try admin.execute("""
                CREATE DATABASE \(template) TEMPLATE \(quoteIdentifier(database)) STRATEGY FILE_COPY;
                """)
            try admin.execute("ALTER DATABASE \(template) WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")
        }
    }

    static func templateName(_ database: String) -> String { database + "__testbed_template" }

    /// A database to connect to for administration that is not `avoiding`.
    func maintenanceDatabase(avoiding database: String?) -> String {
        database == "postgres" ? "template1" : "postgres"
    }

    /// A connection over the Unix socket as the cluster's user.
    func connect(_ database: String) throws(PostgresError) -> PGConnection {
        try PGConnection(socketDirectory: socketDirectory, port: port, user: spec.user, database: database,
                         password: spec.password)
    }

    /// The environment of a command seed step: the caller's plus the connection values.
    func commandEnvironment(_ database: String) -> [String: String] {
        var environment = options.environment
        environment["DATABASE_URL"] = url(database: database, socketOnly: true)
        environment["PGHOST"] = socketDirectory
        environment["PGPORT"] = String(port)
        environment["PGUSER"] = spec.user
        environment["PGDATABASE"] = database
        if let password = spec.password, !password.isEmpty { environment["PGPASSWORD"] = password }
        if environment["PATH"] == nil { environment["PATH"] = ProcessInfo.processInfo.environment["PATH"] }
        return environment
    }
}
