/// A service kind's part of a planned service: what its driver is made from, with every
/// template resolved (a process's argv, a database's folder, port and seed steps).
///
/// ``PlannedService/kind`` holds one; the kind that planned it makes the driver from it
/// (`ServiceKind.makeDriver(_:for:)`).
package protocol PlannedKind: Sendable {
    /// The number of seed steps the driver applies; 0 for a kind without a seed.
    var seedStepCount: Int { get }
}
