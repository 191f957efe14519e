import Foundation
import TestbedSystem

/// The connection to `postgres` that resets and clones share: a new one costs a
/// backend start (1–2 ms), a good part of a reset. Used by one operation at a time
/// (``SpareDatabases`` runs them in turn), on whatever thread runs it, hence unchecked.
final class AdminSession: @unchecked Sendable {
    private let connector: ClusterConnector
    private var connection: PGConnection?

    init(connector: ClusterConnector) {
        self.connector = connector
    }

    /// Runs `body` with an administration connection that is not to `database`: the
    /// shared one, or (for `postgres` itself) a fresh one to `template1`. A shared
    /// connection found closed by the server (its first statement fails to reach it) is
    /// replaced once.
    func run(avoiding database: String,
             _ body: (PGConnection, ClusterConnector) throws(PostgresError) -> Void) throws(PostgresError) {
        if database == "postgres" {
            let admin = try connector.connect("template1")
            defer { admin.close() }
            return try body(admin, connector)
        }
        if let connection {
            do {
                return try body(connection, connector)
            } catch where error.code == .connection {
                self.connection = nil
                connection.close()
            }
        }
        let fresh = try connector.connect("postgres")
        connection = fresh
        try body(fresh, connector)
    }

    func close() {
        connection?.close()
        connection = nil
    }
}

extension ClusterConnector {
    /// An administration connection that is not to `database`.
    func admin(avoiding database: String) throws(PostgresError) -> PGConnection {
        try connect(database == "postgres" ? "template1" : "postgres")
    }

    /// Creates the spare of `database` unless it exists.
    func makeSpare(of database: String, strategy: CopyStrategy) throws(PostgresError) {
        let admin = try admin(avoiding: database)
        defer { admin.close() }
        let spare = SpareDatabases.spareName(database)
        if try admin.query("SELECT 1 FROM pg_database WHERE datname = $1", parameters: [spare]).isEmpty {
            try admin.execute("""
                CREATE DATABASE \(quoteIdentifier(spare)) \
                TEMPLATE \(quoteIdentifier(PostgresCluster.templateName(database))) STRATEGY \(strategy.rawValue)
                """)
        }
    }

    /// Replaces `database` with its seeded state: with `useSpare` (a name for the used
    /// database), the spare is renamed into its place; else a fresh copy of the
    /// template. True when a used database was renamed to `useSpare`, to be dropped.
    @discardableResult
    func replace(_ database: String, useSpare trashName: String?, strategy: CopyStrategy,
                 admin: PGConnection) throws(PostgresError) -> Bool {
        let name = quoteIdentifier(database)
        guard let trashName else {
            try endSessions(on: database, admin: admin)
            try admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            try admin.execute("""
                CREATE DATABASE \(name) TEMPLATE \(quoteIdentifier(PostgresCluster.templateName(database))) \
                STRATEGY \(strategy.rawValue)
                """)
            return false
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
            try admin.execute("ALTER DATABASE \(name) RENAME TO \(quoteIdentifier(trashName))")
        }
        try admin.execute("ALTER DATABASE \(quoteIdentifier(SpareDatabases.spareName(database))) RENAME TO \(name)")
        return exists
    }

    /// Creates `name` from the seeded state of `source`: its spare renamed when `useSpare`.
    func clone(_ name: String, from source: String, useSpare: Bool, strategy: CopyStrategy,
               admin: PGConnection) throws(PostgresError) {
        if useSpare {
            try admin.execute("ALTER DATABASE \(quoteIdentifier(SpareDatabases.spareName(source))) RENAME TO \(quoteIdentifier(name))")
        } else {
            try admin.execute("""
                CREATE DATABASE \(quoteIdentifier(name)) \
                TEMPLATE \(quoteIdentifier(PostgresCluster.templateName(source))) STRATEGY \(strategy.rawValue)
                """)
        }
    }
}
