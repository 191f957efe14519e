import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

extension PostgresCluster {
    /// The unpacked cache entries that reflink clones are made from.
    var trees: ClusterTrees { ClusterTrees(cache: cache) }

    /// How a warm start gets the seeded cluster: `.reflink` when the cache's trees and the
    /// service directory share a reflink file system, else `.copy` (today's unpack of the
    /// pack); `TESTBED_STORAGE=copy` forces the copy. Throws `.startup` for a bad value.
    func cacheStorage() throws -> CloneMethod {
        if options.environment[StorageBackend.variable] != "copy" { try trees.prepare() }
        return try storage(from: trees.root)
    }

    /// How a cold start makes the run's data directory from the cluster it built in the
    /// service directory: `.reflink` when that file system shares extents, else `.copy`.
    func buildStorage() throws -> CloneMethod {
        try storage(from: options.serviceDirectory)
    }

    private func storage(from source: String) throws(PostgresError) -> CloneMethod {
        switch StorageBackend.method(from: source, to: options.serviceDirectory, environment: options.environment) {
        case .success(let method): return method
        case .failure(let error):
            throw PostgresError(code: .startup, message: error.description, hint: "unset \(StorageBackend.variable) or fix its value")
        }
    }

    /// Clones the tree of the cached entry `name` into `destination` (which must not
    /// exist) by reflink, templates included (they cost no room), unpacking the tree from
    /// the pack first when missing. Returns the weakest method a file used.
    ///
    /// Returns nil when the pack is damaged and `retrying`: it is deleted (the caller
    /// builds it again); throws otherwise.
    func cloneCached(_ name: String, to destination: String, retrying: Bool) async throws -> CloneMethod? {
        let source: String
        do {
            source = try await trees.tree(name)
        } catch let error as PostgresError where error.code == .damagedCache && retrying {
            options.report(.note, "warning: \(error.message); it is deleted and rebuilt")
            cache.discard(name)
            trees.discard(name)
            return nil
        }
        let owner = account.user
        let method = try await BlockingWork.run { () -> Result<CloneMethod, PostgresError> in
            Result { () throws(PostgresError) in try ClusterFiles.copyTree(from: source, to: destination, owner: owner, best: .reflink) }
        }.get()
        templates.keep(nil)  // cloned with the rest
        return method
    }

    /// Makes the run's data directory from `build`, the cluster a cold start built and
    /// shut down, and fills the cache entry `lease` from it, holding one copy of the data
    /// in the end: with `.reflink`, `data` is a clone of `build` (shared extents) and
    /// `build` is packed in the background, then deleted; with `.copy`, `build` is packed
    /// first, then renamed to `data` (no second copy, no copy time).
    ///
    /// Returns what it did, for the progress note.
    func makeDataDirectory(fromBuild build: String, lease: ClusterCache.Lease, storage: CloneMethod) async throws -> String {
        let (dataDirectory, owner) = (dataDirectory, account.user)
        if storage == .reflink {
            // Both read `build`: whichever finishes last deletes it.
            let readers = Mutex(2)
            let done: @Sendable () -> Void = {
                if readers.withLock({ count in count -= 1; return count }) == 0 { ClusterFiles.remove(build) }
            }
            publishInBackground(lease, from: build, then: done)
            let method = try await BlockingWork.run { () -> Result<CloneMethod, PostgresError> in
                defer { done() }
                return Result { () throws(PostgresError) in
                    try ClusterFiles.copyTree(from: build, to: dataDirectory, owner: owner, best: .reflink)
                }
            }.get()
            return "clone for the run (\(method.rawValue))"
        }
        let clock = ContinuousClock()
        let began = clock.now
        let outcome = await BlockingWork.run { () -> Result<Void, PostgresError> in
            defer { lease.release() }
            return Result { () throws(PostgresError) in try lease.publishCopy(of: build) }
        }
        if case .failure(let error) = outcome { options.report(.note, "cannot write the cache entry \(lease.name): \(error)") }
        let packed = Self.ms(clock.now - began)
        guard rename(build, dataDirectory) == 0 else { throw ClusterFiles.failure("cannot move \(build) to \(dataDirectory)") }
        return "cache written in \(packed) ms, build moved to data"
    }
}
