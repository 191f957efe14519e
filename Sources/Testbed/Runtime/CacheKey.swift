import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The content key of one database service's seeded snapshot: the name of the file a run
/// finds (warm) or writes (cold) in the cache, computed without starting anything.
///
/// CI systems that restore and save `TESTBED_CACHE_DIR` between jobs key that cache with
/// these values (`testbed cache key MANIFEST`), so a job restores exactly the snapshots
/// its manifest needs and a changed fixture byte gives a new key.
public struct CacheKey: Sendable, Hashable, Codable {
    /// The database kinds that keep seeded snapshots.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A PostgreSQL cluster: `postgres/seeded-HASH.pack`.
        case postgres
        /// An SQLite database: `sqlite/HASH.sqlite`.
        case sqlite
    }

    /// The service's name in the manifest.
    public var service: String
    /// Which database the service is.
    public var kind: Kind
    /// The entry's name in the cache (`seeded-HASH` or `HASH`); nil when the seed cannot be
    /// cached (see ``reason``).
    public var key: String?
    /// The entry's file relative to the cache root (`postgres/seeded-HASH.pack`,
    /// `sqlite/HASH.sqlite`); nil with ``key``.
    public var file: String?
    /// Why there is no key: a command seed step that is not `cacheable: true`, or one whose
    /// command refers to values that change every run.
    public var reason: String?

    /// Makes a key; ``file`` follows from the kind and the key.
    public init(service: String, kind: Kind, key: String?, reason: String? = nil) {
        self.service = service
        self.kind = kind
        self.key = key
        self.reason = key == nil ? reason : nil
        switch (kind, key) {
        case (_, nil): file = nil
        case (.postgres, let key?): file = "postgres/\(key).pack"
        case (.sqlite, let key?): file = "sqlite/\(key).sqlite"
        }
    }
}

extension Environment {
    /// The cache key of every database service of the manifest, in manifest order: the
    /// same functions the drivers use when they look up or write their snapshot
    /// (`ClusterCache`'s `seededKey`, `SQLiteSnapshotCache`'s `key`), fed the same
    /// inputs (server installation, options, fixture contents). Starts nothing; for
    /// PostgreSQL it runs `postgres --version` of the installation the manifest selects.
    ///
    /// Throws ``ManifestProblem`` (through ``ManifestError``) naming the service when its
    /// server cannot be found or a fixture cannot be read.
    public nonisolated func cacheKeys() throws -> [CacheKey] {
        let caller = options.environment
        // Values known before a run: the caller's variables. A seed command that refers to a
        // run's values (ports, run directory) resolves differently every run.
        let resolver = Resolver(environment: caller, values: [:])
        var keys: [CacheKey] = []
        var problems: [ManifestProblem] = []
        for service in manifest.services {
            do {
                switch service.kind {
                case .process:
                    continue
                case .postgres(let spec):
                    keys.append(try postgresKey(service, spec: spec, resolver: resolver))
                case .sqlite(let spec):
                    keys.append(try sqliteKey(service, spec: spec, resolver: resolver))
                }
            } catch let problem as ManifestProblem {
                problems.append(problem)
            } catch {
                problems.append(ManifestProblem(service.location, service: service.name, "\(error)"))
            }
        }
        if !problems.isEmpty { throw ManifestError(problems: problems) }
        return keys
    }

    /// The service's seed steps resolved as the runtime resolves them; nil with the reason
    /// when a cacheable command cannot be resolved before the run.
    nonisolated func resolvedSeed(_ service: ServiceSpec, resolver: Resolver) -> ([ResolvedSeedStep]?, String?) {
        var seed: [ResolvedSeedStep] = []
        for step in service.seed {
            var argv: [String]?
            if case .command(let command, let cacheable, _) = step.source {
                guard cacheable else { return ([], "a command seed step is not cacheable (mark it cacheable: true with its inputs)") }
                do {
                    argv = try resolver.argv(command, service: service.name)
                } catch {
                    return (nil, "a cacheable seed command refers to values of the run (\(error.message)): its key changes every run")
                }
            }
            seed.append(ResolvedSeedStep(step: step, absolutePaths: step.files.map(manifest.resolvePath), commandArgv: argv,
                                         workingDirectory: manifest.directory))
        }
        return (seed, nil)
    }

    nonisolated func postgresKey(_ service: ServiceSpec, spec: PostgresSpec, resolver: Resolver) throws -> CacheKey {
        let (seed, reason) = resolvedSeed(service, resolver: resolver)
        guard let seed, reason == nil else { return CacheKey(service: service.name, kind: .postgres, key: nil, reason: reason) }
        try checkReadable(service, seed)
        let scratch = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let installation = try PostgresInstallation.locate(
            spec.server, path: pathVariable(service, resolver: resolver), scratchDirectory: scratch)
        let base = ClusterCache.baseKey(installation, spec: spec)
        return CacheKey(service: service.name, kind: .postgres,
                        key: try ClusterCache.seededKey(base: base, spec: spec, steps: seed))
    }

    nonisolated func sqliteKey(_ service: ServiceSpec, spec: SQLiteSpec, resolver: Resolver) throws -> CacheKey {
        let (seed, reason) = resolvedSeed(service, resolver: resolver)
        guard let seed, reason == nil else { return CacheKey(service: service.name, kind: .sqlite, key: nil, reason: reason) }
        let key = try SQLiteSnapshotCache.key(service: service.name, pragmas: SQLiteSeeder.effectivePragmas(spec.pragmas), seed: seed)
        return CacheKey(service: service.name, kind: .sqlite, key: key,
                        reason: "a command seed step is not cacheable (mark it cacheable: true with its inputs)")
    }

    /// A missing fixture is a ``SeedError``, as at the start of a run.
    private nonisolated func checkReadable(_ service: ServiceSpec, _ seed: [ResolvedSeedStep]) throws {
        for resolved in seed {
            for path in resolved.absolutePaths where access(path, R_OK) != 0 {
                throw SeedError(service: service.name, file: path, message: "cannot read the file", step: resolved.step.location)
            }
        }
    }

    /// The `PATH` the service's driver searches for the server: the service's own entry
    /// when it sets one, else the caller's.
    private nonisolated func pathVariable(_ service: ServiceSpec, resolver: Resolver) throws -> String? {
        guard let entry = service.environment.last(where: { $0.name == "PATH" }) else { return options.environment["PATH"] }
        return try resolver.resolve(entry.value, service: service.name)
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
