import TestbedSystem
import TestbedModel
/// What a kind's driver is made from besides its ``PlannedKind``: the service's name, its
/// environment, where caches live and where progress goes.
package struct DriverRequest: Sendable {
    /// The service's name in the manifest.
    var name: String
    /// The environment of its process and seed commands, resolved.
    var environment: [String: String]
    /// Root of Testbed's caches.
    var cacheRoot: String
    /// The accounts of this run's services that depend on it and run as a `user:` of their
    /// own: a server lets them reach its Unix socket.
    var clients: [UnixUser]
    /// Where the driver reports its phases.
    var report: PhaseReporter
    /// Receives every line the service prints; nil: nobody listens.
    var onLine: (@Sendable (String) -> Void)?

    /// Makes the value from its fields.
    package init(name: String, environment: [String: String], cacheRoot: String, clients: [UnixUser], report: @escaping PhaseReporter, onLine: (@Sendable (String) -> Void)? = nil) {
        self.name = name
        self.environment = environment
        self.cacheRoot = cacheRoot
        self.clients = clients
        self.report = report
        self.onLine = onLine
    }
}
