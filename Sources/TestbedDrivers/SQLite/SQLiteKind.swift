import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem
import TestbedModel
import TestbedSeed

extension CacheKey.Kind {
    /// An SQLite database: `sqlite/HASH.sqlite`.
    package static let sqlite = CacheKey.Kind(rawValue: "sqlite")
}

/// The `sqlite` kind: an SQLite database file of the run's own (``SQLiteSpec``,
/// ``SQLitePlan``, ``SQLiteServiceDriver``). Its manifest side is in SQLiteKind+Manifest.swift.
struct SQLiteKind: ServiceKind {
    let name = "sqlite"
    let blockKey: String? = "sqlite"
    let serviceKeys = DatabaseKindRules.serviceKeys
    let takesSeed = true
    var refusedKeys: [String: String] { DatabaseKindRules.refusedKeys(kind: name) }

    func refusal(of probe: HealthCheckSpec.Probe) -> (message: String, hint: String?)? {
        DatabaseKindRules.refusal(of: probe, kind: name)
    }

    /// The database file's values (``SQLiteStore/values(path:)``): `path:` resolved (it may
    /// use values of the services planned before), else `FOLDER/NAME.sqlite`.
    func values(of spec: any ServiceKindSpec, service: PlanningService) throws(ManifestProblem) -> [String: String] {
        var path = defaultPath(service)
        if let template = (spec as? SQLiteSpec)?.path { path = service.resolvePath(try service.resolve(template)) }
        return SQLiteStore.values(path: path)
    }

    private func defaultPath(_ service: PlanningService) -> String {
        service.folder + "/\(service.name).sqlite"
    }

    func plan(_ spec: any ServiceKindSpec, service: PlanningService, values: [String: String],
              seed: [PlannedSeedStep]) throws(ManifestProblem) -> (kind: any PlannedKind, teardown: [TeardownStep])? {
        guard let spec = spec as? SQLiteSpec else { return nil }
        return (SQLitePlan(spec: spec, seed: seed, serviceDirectory: service.folder, path: values["path"] ?? defaultPath(service)), [])
    }

    func makeDriver(_ planned: any PlannedKind, for service: DriverRequest) throws -> any ServiceDriver {
        guard let sqlite = planned as? SQLitePlan else { preconditionFailure("an sqlite service planned as \(planned)") }
        try PrivateDirectory.makeFolder(sqlite.serviceDirectory)
        return try SQLiteServiceDriver(SQLiteStore.Options(
            serviceName: service.name, spec: sqlite.spec, path: sqlite.path, seed: sqlite.seed,
            environment: service.environment, cacheRoot: service.cacheRoot, report: service.report))
    }

    /// ``SQLiteSnapshotCache``'s key of the pragmas and the seed steps.
    func cacheKey(_ service: SeededService) throws -> CacheKey? {
        guard let spec = service.spec as? SQLiteSpec else { return nil }
        guard service.uncacheable == nil else {
            return CacheKey(service: service.name, kind: .sqlite, key: nil, file: nil, reason: service.uncacheable)
        }
        let key = try SQLiteSnapshotCache.key(service: service.name, pragmas: SQLiteSeeder.effectivePragmas(spec.pragmas),
                                              seed: service.seed)
        return CacheKey(service: service.name, kind: .sqlite, key: key, file: key.map { "sqlite/\($0).sqlite" },
                        reason: "a command seed step is not cacheable (mark it cacheable: true with its inputs)")
    }

    /// A database inside the run directory needs its cached snapshot's size, else twice its
    /// fixture files; one elsewhere (`path:`) takes no room there.
    func estimate(_ service: SeededService) -> StorageEstimate? {
        guard let spec = service.spec as? SQLiteSpec, spec.path == nil else { return nil }
        if let file = (try? cacheKey(service))??.file {
            var info = stat()
            if stat(service.cacheRoot + "/" + file, &info) == 0 {
                return StorageEstimate(bytes: FreeSpace.withMargin(UInt64(info.st_size), extra: 0), isKnown: true)
            }
        }
        return StorageEstimate(bytes: FreeSpace.withMargin(2 * FixtureFiles.bytes(service.seed), extra: 0), isKnown: false)
    }
}
