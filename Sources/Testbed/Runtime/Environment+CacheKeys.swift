import Foundation
import TestbedModel
import TestbedDrivers

extension Environment {
    /// The cache key of every database service of the manifest, in manifest order, from its
    /// kind (`ServiceKind.cacheKey(_:)`): the same functions the drivers use when they
    /// look up or write their snapshot (`ClusterCache`'s `seededKey`,
    /// `SQLiteSnapshotCache`'s `key`), fed the same inputs (server installation, options,
    /// and the seed steps as the plan resolves them, `${VAR}` in fixture paths read). Starts
    /// nothing; for PostgreSQL it runs `postgres --version` of the installation the
    /// manifest selects.
    ///
    /// Throws `ManifestProblem` (through `ManifestError`) naming the service when its
    /// server cannot be found or a fixture cannot be resolved or read.
    public nonisolated func cacheKeys() throws -> [CacheKey] {
        var keys: [CacheKey] = []
        var problems: [ManifestProblem] = []
        for service in manifest.services {
            do {
                if let key = try ServiceKinds.kind(of: service.kind).cacheKey(try seeded(service)) { keys.append(key) }
            } catch let problem as ManifestProblem {
                problems.append(problem)
            } catch {
                problems.append(ManifestProblem(service.location, service: service.name, "\(error)"))
            }
        }
        if !problems.isEmpty { throw ManifestError(problems: problems) }
        return keys
    }

    /// The service as its kind sees it before a run, its seed steps resolved as the plan
    /// resolves them (``Manifest/resolvedSeed(of:resolver:commands:)``) with what is known
    /// before a run: the caller's variables over the manifest's `.env`. A command step that
    /// is not cacheable, or refers to a run's values (ports, run directory), leaves the seed
    /// without a key. Throws ``ManifestProblem`` when a fixture path cannot be resolved.
    nonisolated func seeded(_ service: ServiceSpec) throws(ManifestProblem) -> SeededService {
        let resolver = Resolver(manifest: manifest, environment: options.environment, values: [:])
        var reason: String?
        for step in service.seed {
            guard reason == nil, case .command(let command, let cacheable, _) = step.source else { continue }
            if !cacheable {
                reason = "a command seed step is not cacheable (mark it cacheable: true with its inputs)"
                continue
            }
            do {
                _ = try resolver.argv(command, service: service.name)
            } catch {
                reason = "a cacheable seed command refers to values of the run (\(error.message)): its key changes every run"
            }
        }
        let seed = try manifest.resolvedSeed(of: service, resolver: resolver, commands: reason == nil)
        return SeededService(name: service.name, location: service.location, spec: service.kind, seed: seed, uncacheable: reason,
                             path: try pathVariable(service, resolver: resolver),
                             cacheRoot: options.cacheRoot ?? Caches.root(environment: options.environment))
    }

    /// The `PATH` the service's driver searches for the server: the service's own entry
    /// when it sets one, else the caller's.
    private nonisolated func pathVariable(_ service: ServiceSpec, resolver: Resolver) throws(ManifestProblem) -> String? {
        guard let entry = service.environment.last(where: { $0.name == "PATH" }) else { return options.environment["PATH"] }
        return try resolver.resolve(entry.value, service: service.name)
    }
}
