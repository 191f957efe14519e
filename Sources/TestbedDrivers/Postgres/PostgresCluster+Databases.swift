import TestbedSystem
extension PostgresCluster {
    /// Puts `database` (nil: every database of the spec) back in its seeded state.
    ///
    /// Open connections to it are terminated; clients must reconnect. When the data
    /// directory is a reflink clone and the reset covers the whole cluster, the server is
    /// restarted on a new clone (``resetByRecloning()``): the result names the new server
    /// process, which replaces the one ``start()`` returned. Otherwise, with the spare
    /// ready (see `SpareDatabases`) this is a few catalog updates; else it waits for the
    /// spare being made, or drops the database and copies its template. Calls run one at
    /// a time.
    @discardableResult
    package func reset(database: String? = nil) async throws -> DatabaseReset {
        let targets = database.map { [$0] } ?? spec.databases
        if Set(targets) == Set(spec.databases), let reset = try await resetByRecloning() { return reset }
        for target in targets { try await spares.reset(target) }
        return .inPlace
    }

    /// Makes every database's template and spare now, instead of at its first reset or
    /// clone, and returns once they exist: each later reset is a rename (also where the
    /// data directory is a reflink clone, whose resets would otherwise re-clone the cluster,
    /// see ``reset(database:)``).
    ///
    /// The trade-off: until a reset or clone needs them, a warm start keeps the templates
    /// in the cached pack and makes no spare, so the run holds its seeded data once in
    /// memory. Preparing costs two copies of the seeded data, in time (about what the
    /// warm start's unpack takes, per copy) and in memory. Throws `PostgresError`.
    public func prepareResets() async throws {
        try await spares.prepare(spec.databases)
    }

    /// Runs `sql` against the default database (an `sql` health check); throws the
    /// server's error.
    package func check(sql: String) async throws {
        try await withTaskExecutorPreference(BlockingWork.executor) {
            let connection = try self.connect(self.spec.databases[0])
            defer { connection.close() }
            try connection.query(sql)
        }
    }

    /// Creates database `named` as a copy of the seeded state of `database` (default:
    /// the first), e.g. one database per test. Takes the spare when it is ready (a
    /// rename), else copies the template.
    package func cloneDatabase(named name: String, from database: String? = nil) async throws {
        try await spares.clone(name, from: database ?? spec.databases[0])
    }

    /// Drops database `named` (ending its connections); a missing one is fine.
    package func dropDatabase(named name: String) async throws {
        try await withTaskExecutorPreference(BlockingWork.executor) {
            try self.adminConnections.run(avoiding: name) { admin throws(PostgresError) in
                try self.endSessions(on: name, admin: admin)
                try admin.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
            }
        }
    }
}
