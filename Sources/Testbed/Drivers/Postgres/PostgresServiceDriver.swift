/// Runs a `postgres:` service: the runtime's face of ``PostgresCluster``.
final class PostgresServiceDriver: ServiceDriver {
    let cluster: PostgresCluster
    let port: PortReservation?

    init(_ options: PostgresCluster.Options, port: PortReservation?) throws {
        cluster = try PostgresCluster(options)
        self.port = port
    }

    var values: [String: String] {
        cluster.values.merging(["log": cluster.logFile]) { own, _ in own }
    }

    func start(report: @escaping PhaseReporter) async throws -> ServiceProcess? {
        // The server binds the reserved port itself; the cross-run lock stays until the
        // environment releases every reservation at the end of its teardown.
        port?.releaseSocket()
        return try await cluster.start()
    }

    func sqlProbe(query: String) -> (any HealthProbe)? {
        let cluster = self.cluster
        return ClosureProbe(summary: "sql \(query)") { _ in try await cluster.check(sql: query) }
    }

    func stop() async {
        await cluster.stop()
    }

    func reset() async throws {
        try await cluster.reset()
    }
}
