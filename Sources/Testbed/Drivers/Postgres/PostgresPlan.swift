/// What a `postgres:` service's driver is made from.
public struct PostgresPlan: PlannedKind {
    /// The manifest's `postgres:` block.
    public var spec: PostgresSpec
    /// Fixture steps with their files and commands resolved.
    public var seed: [ResolvedSeedStep]
    /// The service's folder in the run directory: data directory, socket, server log.
    public var serviceDirectory: String
    /// The port in the socket's name, and the TCP port when `spec.tcp`.
    public var port: Int

    /// The number of seed steps.
    public var seedStepCount: Int { seed.count }
}
