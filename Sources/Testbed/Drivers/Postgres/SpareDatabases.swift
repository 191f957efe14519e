import Foundation

/// One ready copy of each seeded database, `DB__testbed_spare`, made from its template
/// in the background, so that a reset is a few catalog updates: the used database is
/// renamed away (and dropped later, in the background) and the spare renamed into its
/// place. ``PostgresCluster/cloneDatabase(named:from:)`` takes the spare the same way.
///
/// Resets and clones run one at a time, in call order. A reset that finds no spare
/// ready waits for the one being made; without one (its creation failed) it falls back
/// to drop + create from the template. ``close()`` stops new work and hands back what
/// is under way, for ``PostgresCluster/stop()`` to await once the server is gone.
actor SpareDatabases {
    private let connector: ClusterConnector
    /// Spare creations under way, by seeded database.
    private var refills: [String: Task<Void, Never>] = [:]
    /// Seeded databases whose spare exists.
    private var ready: Set<String> = []
    /// The last reset or clone: the next one waits for it.
    private var tail: Task<Void, Never>?
    private var closed = false

    init(connector: ClusterConnector) {
        self.connector = connector
    }

    static func spareName(_ database: String) -> String { database + "__testbed_spare" }
    static func trashName(_ database: String) -> String { database + "__testbed_trash" }

    /// Starts making the spare of each of `databases` that has none.
    func refill(_ databases: [String]) {
        for database in databases { refill(database) }
    }

    private func refill(_ database: String) {
        guard !closed, refills[database] == nil, !ready.contains(database) else { return }
        let connector = connector
        refills[database] = Task {
            let made = await offPool { (try? connector.makeSpare(of: database)) != nil }
            self.refilled(database, made: made)
        }
    }

    private func refilled(_ database: String, made: Bool) {
        refills[database] = nil
        if made && !closed { ready.insert(database) }
    }

    /// True (and the spare is no longer counted as ready) when the spare of `database`
    /// exists, after waiting for one under way.
    private func takeSpare(_ database: String) async -> Bool {
        await refills[database]?.value
        return ready.remove(database) != nil
    }

    /// Puts `database` back in its seeded state.
    func reset(_ database: String) async throws {
        try await serialized {
            let spare = await self.takeSpare(database)
            let connector = self.connector
            let result = await offPool { () -> Result<Void, PostgresError> in
                Result { () throws(PostgresError) in try connector.replace(database, useSpare: spare) }
            }
            await self.refill(database)
            try result.get()
        }
    }

    /// Creates `name` as a copy of the seeded state of `source`.
    func clone(_ name: String, from source: String) async throws {
        try await serialized {
            let spare = await self.takeSpare(source)
            let connector = self.connector
            let result = await offPool { () -> Result<Void, PostgresError> in
                Result { () throws(PostgresError) in try connector.clone(name, from: source, useSpare: spare) }
            }
            await self.refill(source)
            try result.get()
        }
    }

    private func serialized(_ operation: @escaping @Sendable () async throws -> Void) async throws {
        let previous = tail
        let task = Task {
            await previous?.value
            try Task.checkCancellation()
            try await operation()
        }
        tail = Task { _ = await task.result }
        try await task.value
    }

    /// Stops starting work; returns what is under way (it ends with an error once the
    /// server is stopped).
    func close() -> [Task<Void, Never>] {
        closed = true
        ready = []
        return Array(refills.values) + (tail.map { [$0] } ?? [])
    }
}

extension ClusterConnector {
    /// An administration connection that is not to `database`.
    func admin(avoiding database: String) throws(PostgresError) -> PGConnection {
        try connect(database == "postgres" ? "template1" : "postgres")
    }

    /// Creates the spare of `database` unless it exists, and drops what a reset renamed away.
    func makeSpare(of database: String) throws(PostgresError) {
        let admin = try admin(avoiding: database)
        defer { admin.close() }
        let spare = SpareDatabases.spareName(database)
        if try admin.query("SELECT 1 FROM pg_database WHERE datname = $1", parameters: [spare]).isEmpty {
            try admin.execute("""
                CREATE DATABASE \(quoteIdentifier(spare)) \
                TEMPLATE \(quoteIdentifier(PostgresCluster.templateName(database))) STRATEGY FILE_COPY
                """)
        }
        try admin.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(SpareDatabases.trashName(database)))")
    }

    /// Replaces `database` with its seeded state: the spare renamed into its place when
    /// `useSpare`, else a fresh copy of the template.
    func replace(_ database: String, useSpare: Bool) throws(PostgresError) {
        let admin = try admin(avoiding: database)
        defer { admin.close() }
        let name = quoteIdentifier(database)
        guard useSpare else {
            try endSessions(on: database, admin: admin)
            try admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            try admin.execute("""
                CREATE DATABASE \(name) TEMPLATE \(quoteIdentifier(PostgresCluster.templateName(database))) \
                STRATEGY FILE_COPY
                """)
            return
        }
        var exists = true
        do {
            // No new sessions while the old ones end; the trash keeps the flag.
            try admin.execute("ALTER DATABASE \(name) ALLOW_CONNECTIONS false")
        } catch where error.sqlstate == "3D000" {
            exists = false  // dropped by the user: the spare simply takes its name
        }
        if exists {
            try endSessions(on: database, admin: admin)
            let trash = quoteIdentifier(SpareDatabases.trashName(database))
            do {
                try admin.execute("ALTER DATABASE \(name) RENAME TO \(trash)")
            } catch where error.sqlstate == "42P04" {
                try admin.execute("DROP DATABASE \(trash)")  // a cleanup that failed: do it now
                try admin.execute("ALTER DATABASE \(name) RENAME TO \(trash)")
            }
        }
        try admin.execute("ALTER DATABASE \(quoteIdentifier(SpareDatabases.spareName(database))) RENAME TO \(name)")
    }

    /// Creates `name` from the seeded state of `source`: its spare renamed when `useSpare`.
    func clone(_ name: String, from source: String, useSpare: Bool) throws(PostgresError) {
        let admin = try admin(avoiding: name)
        defer { admin.close() }
        if useSpare {
            try admin.execute("ALTER DATABASE \(quoteIdentifier(SpareDatabases.spareName(source))) RENAME TO \(quoteIdentifier(name))")
        } else {
            try admin.execute("""
                CREATE DATABASE \(quoteIdentifier(name)) \
                TEMPLATE \(quoteIdentifier(PostgresCluster.templateName(source))) STRATEGY FILE_COPY
                """)
        }
    }
}
