import TestbedSeed
/// What an `sqlite:` service's driver is made from.
package struct SQLitePlan: PlannedKind {
    /// The manifest's `sqlite:` block.
    package var spec: SQLiteSpec
    /// Fixture steps with their files and commands resolved.
    package var seed: [PlannedSeedStep]
    /// The service's folder in the run directory.
    package var serviceDirectory: String
    /// The database file (absolute): `path:` resolved, else `serviceDirectory/NAME.sqlite`.
    package var path: String

    /// The number of seed steps.
    package var seedStepCount: Int { seed.count }
}
