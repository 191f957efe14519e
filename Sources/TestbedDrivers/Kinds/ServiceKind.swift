import Yams
import TestbedSystem
import TestbedModel
import TestbedSeed

/// One kind of service — `process`, `postgres`, `sqlite` — and everything Testbed does that
/// differs by kind: the manifest keys it reads, the values it exports, the ports it
/// reserves, what a link in front of it exposes, the health checks it takes, the cache key
/// and size of its seeded data, and its driver.
///
/// The reader, validator, planner and runtime ask a service's kind (``ServiceKinds/kind(of:)``)
/// and name none. A kind sees plain values only — its ``ServiceKindSpec``, resolved seed
/// steps, paths, port numbers and a closure that resolves a template — never the plan or
/// the environment, so it can live with its driver. Adding a kind is a folder under
/// Drivers/ with a conformance and its spec and plan values, and one line in
/// ``ServiceKinds/all``.
///
/// The process kind is the one a service without a block has: the core reads its keys
/// (`command:`, `ports:`, presets) and plans its launch (accounts, program lookup), so its
/// ``readBlock(_:service:reader:)`` and ``plan(_:service:values:seed:)`` are the defaults
/// (nil); everything else it answers like any kind.
package protocol ServiceKind: Sendable {
    /// The kind's word: what the CLI prints, and its specs' ``ServiceKindSpec/kindName``.
    var name: String { get }

    // MARK: The manifest

    /// The key of the block that makes a service this kind (`postgres`); nil for the kind of
    /// a service without one (a process).
    var blockKey: String? { get }
    /// The keys a service of this kind may have besides its block.
    var serviceKeys: [String] { get }
    /// Hints for keys other kinds take and this one refuses, by key.
    var refusedKeys: [String: String] { get }
    /// True when its services take `seed:` steps.
    var takesSeed: Bool { get }
    /// True when a seed step may name one of the service's databases (`database:`).
    var seedsNamedDatabases: Bool { get }
    /// True when a service of this kind can run to completion (a one-shot job), so a
    /// dependent may wait for `service_completed_successfully`.
    var canComplete: Bool { get }
    /// Reads the kind's block; nil after a problem was recorded in `reader`.
    func readBlock(_ node: Node, service: String, reader: inout NodeReader) -> (any ServiceKindSpec)?
    /// Reads one of the kind's own service keys besides its block (a container's `ports:`)
    /// into `spec`, which the block made; keys every kind shares (`environment`,
    /// `healthcheck`, `depends_on`, `seed`, …) are the core's and never come here.
    func readKey(_ entry: (key: String, keyNode: Node, value: Node), service: String, into spec: inout any ServiceKindSpec,
                 reader: inout NodeReader)
    /// Takes the service's `files:` (read by the core, each with its `target:` inside a
    /// container) into `spec`; only called when the kind lists `files` among its keys.
    func readFiles(_ files: [ServiceFileSpec], into spec: inout any ServiceKindSpec)
    /// What can be known to fail before a start given the caller's environment (a missing
    /// program, engine or image): `testbed validate` reports it, and planning runs it too.
    func preflight(_ spec: any ServiceKindSpec, service: String, location: SourceLocation,
                   environment: [String: String]) -> [ManifestProblem]
    /// A problem of a seed step against the service's settings (a database it does not create).
    func check(_ step: SeedStep, of spec: any ServiceKindSpec, service: String) -> ManifestProblem?
    /// Why a health check with `probe` does not fit the kind; nil when it does.
    func refusal(of probe: HealthCheckSpec.Probe) -> (message: String, hint: String?)?
    /// The templates in the kind's settings, whose `${…}` references are checked.
    func templates(of spec: any ServiceKindSpec) -> [Template]
    /// The keys `${service.key}` may use (`url`, `ports.http`, …).
    func valueKeys(of spec: any ServiceKindSpec) -> [String]
    /// The service's declared `url:`, resolved after every other value; nil: none.
    func declaredURL(of spec: any ServiceKindSpec) -> Template?
    /// The health check a service of this kind gets when its manifest has no `healthcheck:`
    /// (`disable: true` turns it off); nil: none, the service is healthy once spawned.
    func defaultHealthCheck(of spec: any ServiceKindSpec, location: SourceLocation) -> HealthCheckSpec?

    // MARK: Links

    /// Problems of a link named `link` in front of service `target` (`port`: the port `to:`
    /// names; `http`: an HTTP link); it may change the settings (a PostgreSQL service
    /// fronted by a link listens on TCP).
    func front(_ spec: inout any ServiceKindSpec, link: String, target: String, port: String?, http: Bool,
               isJob: Bool) -> [(message: String, hint: String?)]
    /// The keys a link in front of it exposes (its own host and port in place of the target's).
    func linkKeys(of spec: any ServiceKindSpec, port: String?, http: Bool) -> [String]
    /// The value that holds the port a TCP link forwards to (`port`, `ports.NAME`); nil: none.
    func linkedPortKey(of spec: any ServiceKindSpec, portName: String?) -> String?
    /// A link's values, from the target's: the link's host and `port` in place of `upstream`.
    func linkValues(_ own: [String: String], of spec: any ServiceKindSpec, portName: String?, upstream: Int, port: Int,
                    http: Bool) -> [String: String]

    // MARK: Planning

    /// The loopback ports to reserve for the service before anything starts.
    func ports(of spec: any ServiceKindSpec, location: SourceLocation) -> [PortSpec]
    /// The service's values (`${name.key}`), from its folder, log and ports; templates
    /// resolve against the values of the services planned before (processes first).
    func values(of spec: any ServiceKindSpec, service: PlanningService) throws(ManifestProblem) -> [String: String]
    /// The service's planned part and how its process group stops, its templates resolved
    /// against every value; nil: the core plans it (the process kind).
    func plan(_ spec: any ServiceKindSpec, service: PlanningService, values: [String: String],
              seed: [PlannedSeedStep]) throws(ManifestProblem) -> (kind: any PlannedKind, teardown: [TeardownStep])?

    // MARK: The runtime

    /// Makes the service's driver; database kinds return a ``DatabaseDriver``. Creates the
    /// service's folder when it needs one; starts nothing.
    func makeDriver(_ planned: any PlannedKind, for service: DriverRequest) throws -> any ServiceDriver
    /// The cache key of the service's seeded data; nil for a kind that caches nothing.
    func cacheKey(_ service: SeededService) throws -> CacheKey?
    /// The room the service's data takes in the run directory; nil: none worth counting.
    func estimate(_ service: SeededService) -> StorageEstimate?
    /// Removes what the kind's services of runs that are not live left outside run
    /// directories (containers, found by their labels); `isLive` says whether the run
    /// directory at a path belongs to a live run. Returns a line for each thing removed.
    /// Only `testbed gc` calls it: it may spawn the engine's CLI.
    func sweep(environment: [String: String], isLive: (String) -> Bool) -> [String]
    /// The name (without `.log`) of the server's own log in the service's folder, which
    /// `testbed logs` shows as the service's log; nil: the kind writes none there.
    var serverLog: String? { get }
}

extension ServiceKind {
    var blockKey: String? { nil }
    var refusedKeys: [String: String] { [:] }
    var takesSeed: Bool { false }
    var seedsNamedDatabases: Bool { false }
    var canComplete: Bool { false }

    func readBlock(_ node: Node, service: String, reader: inout NodeReader) -> (any ServiceKindSpec)? { nil }
    func check(_ step: SeedStep, of spec: any ServiceKindSpec, service: String) -> ManifestProblem? { nil }
    func readKey(_ entry: (key: String, keyNode: Node, value: Node), service: String, into spec: inout any ServiceKindSpec,
                 reader: inout NodeReader) {}
    func preflight(_ spec: any ServiceKindSpec, service: String, location: SourceLocation,
                   environment: [String: String]) -> [ManifestProblem] { [] }
    func readFiles(_ files: [ServiceFileSpec], into spec: inout any ServiceKindSpec) {}
    func templates(of spec: any ServiceKindSpec) -> [Template] { [] }
    func declaredURL(of spec: any ServiceKindSpec) -> Template? { nil }
    func defaultHealthCheck(of spec: any ServiceKindSpec, location: SourceLocation) -> HealthCheckSpec? { nil }

    /// By default an HTTP link exposes its URL and address, and a TCP link nothing.
    func linkKeys(of spec: any ServiceKindSpec, port: String?, http: Bool) -> [String] {
        http ? ["url", "host", "port", "address"] : []
    }

    func linkedPortKey(of spec: any ServiceKindSpec, portName: String?) -> String? { nil }

    /// The link's host, port and address, the fronted port's `ports.NAME`, and an HTTP link's URL.
    func linkValues(_ own: [String: String], of spec: any ServiceKindSpec, portName: String?, upstream: Int, port: Int,
                    http: Bool) -> [String: String] {
        var mine = ["host": "127.0.0.1", "port": String(port), "address": "127.0.0.1:\(port)"]
        if let portName { mine["ports.\(portName)"] = String(port) }
        if http { mine["url"] = "http://127.0.0.1:\(port)" }
        return mine
    }

    func ports(of spec: any ServiceKindSpec, location: SourceLocation) -> [PortSpec] { [] }

    func plan(_ spec: any ServiceKindSpec, service: PlanningService, values: [String: String],
              seed: [PlannedSeedStep]) throws(ManifestProblem) -> (kind: any PlannedKind, teardown: [TeardownStep])? { nil }

    func cacheKey(_ service: SeededService) throws -> CacheKey? { nil }
    func estimate(_ service: SeededService) -> StorageEstimate? { nil }
    var serverLog: String? { nil }
    func sweep(environment: [String: String], isLive: (String) -> Bool) -> [String] { [] }
}
