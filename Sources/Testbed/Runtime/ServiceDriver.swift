/// What the runtime needs from each kind of service.
///
/// A driver is made for one service of one run when the run is planned (so its values,
/// such as a database URL, are known before anything starts), started once, and stopped
/// once — also when its start failed half-way or was interrupted.
protocol ServiceDriver: Sendable {
    /// Values other services and exports refer to as `${service.key}`.
    var values: [String: String] { get }

    /// Starts the service. Returns its main process (watched for unexpected exits) once
    /// the service is started and, for databases, accepting connections and seeded.
    func start(report: @escaping PhaseReporter) async throws -> ServiceProcess?

    /// The probe for a `sql:` health check; nil when the kind has none.
    func sqlProbe(query: String) -> (any HealthProbe)?

    /// Stops everything the service started and removes its files. Safe at any time.
    func stop() async

    /// Puts the service's data back to its seeded state.
    func reset() async throws
}

extension ServiceDriver {
    func sqlProbe(query: String) -> (any HealthProbe)? { nil }
}
