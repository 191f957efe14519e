import TestbedHealth
/// A driver whose service holds data: it can be reset, checked with SQL, and handed to the
/// Swift API for per-test databases.
///
/// The runtime keeps database drivers apart from the others when it makes them, so it
/// never asks a driver what it is.
package protocol DatabaseDriver: ServiceDriver {
    /// Puts every database of the service back to its seeded state.
    func reset() async throws

    /// The probe for a `sql:` health check.
    func sqlProbe(query: String) -> any HealthProbe

    /// What holds the data, for ``DatabasePool`` and per-test copies.
    var storage: DatabaseStorage { get }
}

/// What holds a database service's data.
package enum DatabaseStorage: Sendable {
    /// A PostgreSQL cluster of the run's own.
    case postgres(PostgresCluster)
    /// An SQLite database file of the run's own.
    case sqlite(SQLiteStore)
}
