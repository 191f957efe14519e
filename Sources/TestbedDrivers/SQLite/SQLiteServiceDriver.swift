import TestbedSystem
import TestbedModel
import TestbedHealth
/// Runs an `sqlite:` service: the runtime's face of ``SQLiteStore``.
///
/// An SQLite service has no process: it is started when its file is seeded (or copied
/// from the cache) and passes `PRAGMA quick_check`; its health check, if any, is a query.
final class SQLiteServiceDriver: DatabaseDriver {
    let store: SQLiteStore

    /// Checks the options (see ``SQLiteStore/init(_:)``); creates nothing.
    init(_ options: SQLiteStore.Options) throws {
        store = try SQLiteStore(options)
    }

    var storage: DatabaseStorage { .sqlite(store) }

    func start(report: @escaping PhaseReporter) async throws -> ServiceProcess? {
        try await store.start()
        try await Self.blocking { [store] in try store.check(sql: nil) }
        return nil
    }

    func sqlProbe(query: String) -> any HealthProbe {
        let store = self.store
        return ClosureProbe(summary: "sql \(query)") { _ in try await Self.blocking { try store.check(sql: query) } }
    }

    func stop() async {
        await BlockingWork.run { [store] in store.stop() }
    }

    func reset() async throws -> DatabaseReset {
        try await Self.blocking { [store] in try store.reset() }
        return .inPlace
    }

    /// Runs the store's synchronous file work on a ``BlockingWork`` thread.
    private static func blocking(_ body: @escaping @Sendable () throws -> Void) async throws {
        try await BlockingWork.run { Result { try body() } }.get()
    }
}
