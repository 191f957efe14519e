import TestbedSeed
/// What a `postgres:` service's driver is made from.
package struct PostgresPlan: PlannedKind {
    /// The manifest's `postgres:` block.
    package var spec: PostgresSpec
    /// Fixture steps with their files and commands resolved.
    package var seed: [PlannedSeedStep]
    /// The service's folder in the run directory: data directory, socket, server log.
    package var serviceDirectory: String
    /// The port in the socket's name, and the TCP port when `spec.tcp`.
    package var port: Int

    /// The number of seed steps.
    package var seedStepCount: Int { seed.count }
}
