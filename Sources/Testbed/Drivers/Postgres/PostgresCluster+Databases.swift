extension PostgresCluster {
    /// Puts `database` (nil: every database of the spec) back in its seeded state:
    /// drops it, ending its connections, and copies it again from its template.
    ///
    /// Open connections to it are terminated; clients must reconnect.
    public func reset(database: String? = nil) async throws {
        let targets = database.map { [$0] } ?? spec.databases
        for target in targets {
            let admin = try connect(maintenanceDatabase(avoiding: target))
            defer { admin.close() }
            try admin.execute("""
                DROP DATABASE IF EXISTS \(quoteIdentifier(target)) WITH (FORCE);
                """)
            try admin.execute("""
                CREATE DATABASE \(quoteIdentifier(target)) TEMPLATE \(quoteIdentifier(Self.templateName(target))) \
                STRATEGY FILE_COPY
                """)
        }
    }

    /// Runs `sql` against the default database (an `sql` health check); throws the
    /// server's error.
    public func check(sql: String) async throws {
        let connection = try connect(spec.databases[0])
        defer { connection.close() }
        try connection.query(sql)
    }

    /// Creates database `named` as a copy of the seeded state of `database` (default:
    /// the first), e.g. one database per test.
    public func cloneDatabase(named name: String, from database: String? = nil) async throws {
        let source = database ?? spec.databases[0]
        let admin = try connect(maintenanceDatabase(avoiding: name))
        defer { admin.close() }
        try admin.execute("""
            CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE \(quoteIdentifier(Self.templateName(source))) \
            STRATEGY FILE_COPY
            """)
    }

    /// Drops database `named` (ending its connections); a missing one is fine.
    public func dropDatabase(named name: String) async throws {
        let admin = try connect(maintenanceDatabase(avoiding: name))
        defer { admin.close() }
        try admin.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
    }
}
