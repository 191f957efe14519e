/// A service kind's part of a planned service: what its driver is made from, with every
/// template resolved (a process's argv, a database's folder, port and seed steps).
///
/// ``PlannedService/kind`` holds one; the kind that planned it makes the driver from it
/// (`ServiceKind.makeDriver(_:for:)`).
package protocol PlannedKind: Sendable {
    /// The number of seed steps the driver applies; 0 for a kind without a seed.
    var seedStepCount: Int { get }
    /// What runs a command inside the service instead of beside it (a container's
    /// `podman exec NAME`): a `command` health check's argv is put after it, and the
    /// program is not looked up on this machine. Empty (the default): on this machine.
    var execPrefix: [String] { get }
}

extension PlannedKind {
    package var execPrefix: [String] { [] }
}
