import TestbedSystem
import TestbedModel
import TestbedDrivers
/// One node of an ``EnvironmentPlan``: everything the runtime needs to start, check and
/// stop it, resolved — argv, environment, ports, values, health check, teardown.
///
/// Every node is a manifest service; what differs by kind is in ``kind`` (a
/// ``ProcessPlan``, a `PostgresPlan`, an `SQLitePlan`, …), which the service's
/// `ServiceKind` planned and makes the driver from. Links, which also have names that
/// `${name.key}` can refer to, are not nodes: they are planned apart (``PlannedLink``,
/// ``EnvironmentPlan/links``), and the runtime starts each once the service it fronts is
/// healthy (an HTTP link to an external URL: before any service) and stops it before that service.
package struct PlannedService: Sendable {
    /// One dependency, its condition settled (the list form's "ready" made explicit).
    package struct Dependency: Sendable, Hashable {
        /// The node waited for.
        package var service: String
        /// What this node waits for: the manifest's condition, else `healthy`
        /// (`completed_successfully` when the dependency is a one-shot job).
        package var condition: DependencyCondition
    }

    /// The name `${name.key}`, messages and the CLI use.
    package var name: String
    /// What runs: what the runtime hands the kind's driver.
    package var kind: any PlannedKind
    /// `process`, `postgres` or `sqlite`, as the CLI prints it.
    package var kindName: String
    /// Where the node is defined in the manifest.
    package var location: SourceLocation
    /// Nodes that must reach a condition before this one starts; they stop after it.
    package var dependencies: [Dependency]
    /// A one-shot job: exits by itself, and exit status 0 is success.
    package var isJob: Bool
    /// What `${name.key}` resolves to (`url`, `ports.http`, `log`, …).
    package var values: [String: String]
    /// The loopback ports reserved for it, by name (`http`; `postgres` for a TCP cluster).
    /// The runtime releases each one's socket right before the start (the cross-run lock
    /// stays until teardown), so the service can bind the port itself.
    package var ports: [String: PortReservation]
    /// The environment of its process and seed commands: the caller's plus its own, resolved.
    package var environment: [String: String]
    /// Its health check, resolved; nil: healthy once started.
    package var healthCheck: PlannedHealthCheck?
    /// How its process group is stopped; empty when it has no process (sqlite).
    package var teardown: [TeardownStep]
    /// How long its start may take, from its dependencies being ready to its being ready
    /// (seeding, seed commands, a one-shot job's run, the health check): `start_timeout`.
    package var startTimeout: Duration

    /// The number of seed steps of a database; 0 for a process.
    package var seedStepCount: Int { kind.seedStepCount }

    /// The ports by name as numbers, e.g. `["http": 41234]`.
    package var portNumbers: [String: Int] { ports.mapValues(\.port) }
}
