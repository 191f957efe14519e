import TestbedModel
/// One service as its kind sees it while a run is planned: where its files go, its reserved
/// ports, and how its templates resolve — plain values and closures, never the plan.
package struct PlanningService {
    /// The service's name in the manifest.
    var name: String
    /// Where the service is defined, for problems.
    var location: SourceLocation
    /// Its folder in the run directory (data, sockets, files).
    var folder: String
    /// Its log in the run directory.
    var log: String
    /// The loopback ports reserved for it, by name.
    var ports: [String: Int]
    /// True when another service logs in with this one's password (a `pgbouncer` preset's
    /// target): a database without a password gets one for the run.
    var loggedInto: Bool
    /// Resolves a template of the service against the values known so far.
    var resolve: (Template) throws(ManifestProblem) -> String
    /// Makes a manifest path absolute against the manifest's folder.
    var resolvePath: (String) -> String
    /// The environment the run was given (the caller's).
    package var callerEnvironment: [String: String] = [:]
    /// The service's own `environment:` entries, resolved; empty while values are computed.
    package var ownEnvironment: [String: String] = [:]

    /// Makes the value from its fields.
    package init(name: String, location: SourceLocation, folder: String, log: String, ports: [String: Int], loggedInto: Bool, resolve: @escaping (Template) throws(ManifestProblem) -> String, resolvePath: @escaping (String) -> String) {
        self.name = name
        self.location = location
        self.folder = folder
        self.log = log
        self.ports = ports
        self.loggedInto = loggedInto
        self.resolve = resolve
        self.resolvePath = resolvePath
    }
}
