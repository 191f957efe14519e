import TestbedSystem
import TestbedModel
import TestbedHealth
/// Runs a `postgres:` service: the runtime's face of ``PostgresCluster``.
final class PostgresServiceDriver: DatabaseDriver {
    let cluster: PostgresCluster

    /// Locates the server and checks the options (see ``PostgresCluster/init(_:)``); starts nothing.
    init(_ options: PostgresCluster.Options) throws {
        cluster = try PostgresCluster(options)
    }

    var storage: DatabaseStorage { .postgres(cluster) }

    func start(report: @escaping PhaseReporter) async throws -> ServiceProcess? {
        try await cluster.start()
    }

    func sqlProbe(query: String) -> any HealthProbe {
        let cluster = self.cluster
        return ClosureProbe(summary: "sql \(query)") { _ in try await cluster.check(sql: query) }
    }

    func stop() async {
        await cluster.stop()
    }

    func reset() async throws -> DatabaseReset {
        try await cluster.reset()
    }
}
