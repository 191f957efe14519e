import TestbedModel
/// What the kinds Testbed runs itself (a database, not a command) have in common in the
/// manifest: their service keys, the keys they refuse, the health checks they take.
enum DatabaseKindRules {
    /// The keys a database service may have besides its block.
    static let serviceKeys = ["seed", "depends_on", "healthcheck", "environment", "start_timeout"]

    /// The process keys a database service refuses, each with why.
    static func refusedKeys(kind: String) -> [String: String] {
        var refused: [String: String] = [:]
        for key in ["command", "ports", "working_dir", "stop_signal", "stop_grace_period", "oneshot", "files", "user", "url"] {
            refused[key] = "a \(kind) service is run by Testbed itself"
        }
        return refused
    }

    /// A database is ready once it accepts connections: `sql` and `command` checks fit,
    /// `tcp`, `http` and `log` (which read a process's ports and output) do not.
    static func refusal(of probe: HealthCheckSpec.Probe, kind: String) -> (message: String, hint: String?)? {
        switch probe {
        case .tcp, .http:
            ("a tcp or http check applies to process services",
             "a \(kind) service is ready once it accepts connections; check it with sql: QUERY")
        case .log:
            ("a log check applies to process services", nil)
        case .command, .sql:
            nil
        }
    }
}
