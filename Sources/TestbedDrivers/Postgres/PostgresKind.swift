import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem
import TestbedModel
import TestbedSeed

extension CacheKey.Kind {
    /// A PostgreSQL cluster: `postgres/seeded-HASH.pack`.
    package static let postgres = CacheKey.Kind(rawValue: "postgres")
}

/// The `postgres` kind: a PostgreSQL cluster of the run's own (``PostgresSpec``,
/// ``PostgresPlan``, ``PostgresServiceDriver``). Its manifest side is in
/// PostgresKind+Manifest.swift.
struct PostgresKind: ServiceKind {
    let name = "postgres"
    let blockKey: String? = "postgres"
    let serviceKeys = DatabaseKindRules.serviceKeys
    let takesSeed = true
    let seedsNamedDatabases = true
    /// `postgres.log`: the server's log is the service's.
    let serverLog: String? = "postgres"
    var refusedKeys: [String: String] {
        var refused = DatabaseKindRules.refusedKeys(kind: name)
        refused["ports"]? += "; use 'tcp: true' in the postgres block"
        return refused
    }

    /// What a fresh cluster takes when its base pack is not cached yet (initdb's output with
    /// 1 MB WAL segments is about 40 MB).
    static let pristineClusterEstimate: UInt64 = 48 << 20

    func refusal(of probe: HealthCheckSpec.Probe) -> (message: String, hint: String?)? {
        DatabaseKindRules.refusal(of: probe, kind: name)
    }

    /// `postgres`, when the cluster listens on TCP.
    func ports(of spec: any ServiceKindSpec, location: SourceLocation) -> [PortSpec] {
        guard let spec = spec as? PostgresSpec, spec.tcp else { return [] }
        return [PortSpec(name: "postgres", fixed: spec.fixedPort, location: location)]
    }

    /// The cluster's connection values (``PostgresCluster/values(spec:serviceDirectory:port:)``).
    /// The run's password (generated when TCP is on, or a preset logs in with it, and none
    /// is set) is fixed here, once: ``plan(_:service:values:seed:)`` takes it back from these
    /// values, so values and cluster agree.
    func values(of spec: any ServiceKindSpec, service: PlanningService) throws(ManifestProblem) -> [String: String] {
        guard let spec = spec as? PostgresSpec else { return [:] }
        return PostgresCluster.values(spec: PostgresCluster.runSpec(spec, fronted: service.loggedInto),
                                      serviceDirectory: service.folder, port: port(spec, service.ports))
    }

    /// The reserved TCP port, else the fixed one, else 5432 (the socket's name only).
    private func port(_ spec: PostgresSpec, _ ports: [String: Int]) -> Int {
        ports["postgres"] ?? spec.fixedPort ?? 5432
    }

    func plan(_ spec: any ServiceKindSpec, service: PlanningService, values: [String: String],
              seed: [PlannedSeedStep]) throws(ManifestProblem) -> (kind: any PlannedKind, teardown: [TeardownStep])? {
        guard var spec = spec as? PostgresSpec else { return nil }
        if let password = values["password"], !password.isEmpty { spec.password = password }
        let plan = PostgresPlan(spec: spec, seed: seed, serviceDirectory: service.folder, port: port(spec, service.ports))
        return (plan, PostgresServer.immediateShutdown)
    }

    func makeDriver(_ planned: any PlannedKind, for service: DriverRequest) throws -> any ServiceDriver {
        guard let postgres = planned as? PostgresPlan else { preconditionFailure("a postgres service planned as \(planned)") }
        try PrivateDirectory.makeFolder(postgres.serviceDirectory)
        var options = PostgresCluster.Options(
            serviceName: service.name, spec: postgres.spec, seed: postgres.seed,
            serviceDirectory: postgres.serviceDirectory, port: postgres.port, environment: service.environment,
            cacheRoot: service.cacheRoot, report: service.report)
        options.socketClients = service.clients
        return try PostgresServiceDriver(options)
    }

    /// ``ClusterCache``'s seeded key of the installation the spec selects (it runs
    /// `postgres --version`), fed the seed steps; a missing fixture is a ``SeedError``, as
    /// at the start of a run.
    func cacheKey(_ service: SeededService) throws -> CacheKey? {
        guard let spec = service.spec as? PostgresSpec else { return nil }
        let seed = service.seed
        guard service.uncacheable == nil else {
            return CacheKey(service: service.name, kind: .postgres, key: nil, file: nil, reason: service.uncacheable)
        }
        for resolved in seed {
            for path in resolved.absolutePaths where access(path, R_OK) != 0 {
                throw SeedError(service: service.name, file: path, message: "cannot read the file", step: resolved.step.location)
            }
        }
        let scratch = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let installation = try PostgresInstallation.locate(spec.server, path: service.path, scratchDirectory: scratch,
                                                            cacheRoot: service.cacheRoot)
        let key = try ClusterCache.seededKey(base: ClusterCache.baseKey(installation, spec: spec), spec: spec, steps: seed)
        return CacheKey(service: service.name, kind: .postgres, key: key, file: "postgres/\(key).pack")
    }

    /// With a cached seeded pack: what it unpacks to without its template databases (a warm
    /// start leaves them in the pack). Cold: the seeded cluster is built and copied for the
    /// run, both in its folder — twice the pristine cluster plus its fixture files counted
    /// twice (database and template), which a seed that generates its rows underestimates
    /// (the copy checks again). Both with ``FreeSpace``'s margin.
    func estimate(_ service: SeededService) -> StorageEstimate? {
        guard let spec = service.spec as? PostgresSpec else { return nil }
        let deferred = spec.databases.indices.map { "base/\(DeferredTemplates.oid($0))" }
        if let key = (try? cacheKey(service))??.key,
           let bytes = ClusterPack.plannedSize(ClusterCache(cacheRoot: service.cacheRoot).path(key), deferring: deferred) {
            return StorageEstimate(bytes: FreeSpace.withMargin(bytes, extra: 16 << 20), isKnown: true)
        }
        let fixtures = FixtureFiles.bytes(service.seed)
        return StorageEstimate(bytes: FreeSpace.withMargin(2 * (Self.pristineClusterEstimate + 2 * fixtures), extra: 16 << 20),
                               isKnown: false)
    }

    /// A private (0700) folder for the logs of `postgres --version`.
    private static func scratchDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/testbed-cache-key-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey:
                "cannot create a temporary folder in \(NSTemporaryDirectory()): \(errnoText())"])
        }
        return String(cString: made)
    }
}
