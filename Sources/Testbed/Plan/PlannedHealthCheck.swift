import TestbedModel
/// A service's health check with its ports, URL and command resolved.
///
/// The runtime turns it into a ``HealthProbe`` when the service has started (a `log`
/// check needs the service's process, an `sql` check its database driver).
package struct PlannedHealthCheck: Sendable {
    /// What each attempt asks, resolved.
    package enum Probe: Sendable, Hashable {
        /// A TCP connect to 127.0.0.1:port.
        case tcp(port: Int)
        /// An HTTP GET; healthy when the status is `expectedStatus`.
        case http(url: String, expectedStatus: Int)
        /// A command; healthy when it exits 0. Its output goes to `logFile`.
        case command(argv: [String], environment: [String: String], workingDirectory: String, logFile: String)
        /// A regular expression matched against each line the service prints.
        case log(pattern: String)
        /// A query against the service's database.
        case sql(query: String)
    }

    /// What each attempt asks.
    package var probe: Probe
    /// How often and how long to try (the manifest check's).
    package var timing: HealthTiming
    /// Where the check is written in the manifest, for hints.
    package var location: SourceLocation

    /// Makes a planned check.
    package init(probe: Probe, timing: HealthTiming, location: SourceLocation) {
        self.probe = probe
        self.timing = timing
        self.location = location
    }
}
