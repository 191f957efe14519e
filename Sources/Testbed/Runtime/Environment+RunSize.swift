import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Environment {
    /// The room a run's directory will need, estimated before the run root is chosen.
    struct RunSize: Sendable, Equatable {
        /// Bytes, margins included.
        var bytes: UInt64
        /// True when every database's size came from its cache entry; false when one is
        /// cold (an estimate from its fixture files, checked again before its copy).
        var isKnown: Bool
    }

    /// Room for the logs and the small files of a run, whatever its services.
    static let runBaseNeed: UInt64 = 1 << 20
    /// What a fresh PostgreSQL cluster takes when its base pack is not cached yet (initdb's
    /// output with 1 MB WAL segments is about 40 MB).
    static let pristineClusterEstimate: UInt64 = 48 << 20

    /// What the run's directory will hold at its largest during the start.
    ///
    /// A PostgreSQL service with a cached seeded pack needs what the pack unpacks to
    /// without its template databases (a warm start leaves them in the pack), plus the
    /// margin ``FreeSpace`` adds. A cold one builds the seeded cluster and copies it for the
    /// run, both in its folder: twice the pristine cluster plus its fixture files counted
    /// twice (database and template), which a seed that generates its rows underestimates
    /// (the copy checks again). An SQLite database inside the run directory needs its cached
    /// snapshot's size (or twice its fixture files). Nothing here throws: what cannot be
    /// computed (no server, an unreadable fixture) counts as nothing, and the start reports it.
    nonisolated func runSize() -> RunSize {
        let resolver = Resolver(environment: options.environment, values: [:])
        let cacheRoot = options.cacheRoot ?? Caches.root(environment: options.environment)
        var size = RunSize(bytes: Self.runBaseNeed, isKnown: true)
        for service in manifest.services {
            switch service.kind {
            case .process:
                continue
            case .postgres(let spec):
                let cache = ClusterCache(cacheRoot: cacheRoot)
                let deferred = spec.databases.indices.map { "base/\(DeferredTemplates.oid($0))" }
                if let file = (try? postgresKey(service, spec: spec, resolver: resolver))?.key,
                   let bytes = ClusterPack.plannedSize(cache.path(file), deferring: deferred) {
                    size.bytes += FreeSpace.withMargin(bytes, extra: 16 << 20)
                    continue
                }
                size.isKnown = false
                let fixtures = fixtureBytes(service, resolver: resolver)
                size.bytes += FreeSpace.withMargin(2 * (Self.pristineClusterEstimate + 2 * fixtures), extra: 16 << 20)
            case .sqlite(let spec):
                guard spec.path == nil else { continue }  // the database is elsewhere
                if let file = (try? sqliteKey(service, spec: spec, resolver: resolver))?.file {
                    var info = stat()
                    if stat(cacheRoot + "/" + file, &info) == 0 {
                        size.bytes += FreeSpace.withMargin(UInt64(info.st_size), extra: 0)
                        continue
                    }
                }
                size.isKnown = false
                size.bytes += FreeSpace.withMargin(2 * fixtureBytes(service, resolver: resolver), extra: 0)
            }
        }
        return size
    }

    /// The bytes of the service's fixture files (folders: the files in them).
    private nonisolated func fixtureBytes(_ service: ServiceSpec, resolver: Resolver) -> UInt64 {
        let (seed, _) = resolvedSeed(service, resolver: resolver)
        var total: UInt64 = 0
        for path in (seed ?? []).flatMap(\.absolutePaths) {
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFDIR {
                let files = FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []
                for file in files where stat(path + "/" + file, &info) == 0 && info.st_mode & S_IFMT == S_IFREG {
                    total += UInt64(info.st_size)
                }
            } else {
                total += UInt64(info.st_size)
            }
        }
        return total
    }
}
