/// What an `sqlite:` service's driver is made from.
public struct SQLitePlan: PlannedKind {
    /// The manifest's `sqlite:` block.
    public var spec: SQLiteSpec
    /// Fixture steps with their files and commands resolved.
    public var seed: [ResolvedSeedStep]
    /// The service's folder in the run directory.
    public var serviceDirectory: String
    /// The database file (absolute): `path:` resolved, else `serviceDirectory/NAME.sqlite`.
    public var path: String

    /// The number of seed steps.
    public var seedStepCount: Int { seed.count }
}
