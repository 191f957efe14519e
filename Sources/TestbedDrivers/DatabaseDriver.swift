import TestbedSystem
import TestbedHealth
/// A driver whose service holds data: it can be reset, checked with SQL, and handed to the
/// Swift API for per-test databases.
///
/// The runtime keeps database drivers apart from the others when it makes them, so it
/// never asks a driver what it is.
package protocol DatabaseDriver: ServiceDriver {
    /// Puts every database of the service back to its seeded state.
    ///
    /// A driver may do it by restarting the service on a fresh copy of its data (a
    /// PostgreSQL cluster cloned again by reflink): it then stops the old process itself and
    /// returns the new one in ``DatabaseReset/replacement``, for the runtime to watch, show
    /// and stop in its place; the old one's exit is no death. A reset that fails after the
    /// old process was stopped throws, and the runtime reports the service dead.
    func reset() async throws -> DatabaseReset

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

/// What a database driver's ``DatabaseDriver/reset()`` did.
package struct DatabaseReset: Sendable {
    /// The service's new main process when the reset restarted the service; nil: the
    /// process is unchanged.
    package var replacement: ServiceProcess?
    /// How the reset went, when not the usual way, for the user (`re-cloned by reflink`).
    package var note: String?

    /// A reset that kept the service's process.
    package static let inPlace = DatabaseReset()

    /// Describes a reset: `replacement` when it restarted the service.
    package init(replacement: ServiceProcess? = nil, note: String? = nil) {
        self.replacement = replacement
        self.note = note
    }
}
