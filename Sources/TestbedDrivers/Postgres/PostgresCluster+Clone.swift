import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

extension PostgresCluster {
    /// The unpacked cache entries that reflink clones are made from.
    var trees: ClusterTrees { ClusterTrees(cache: cache) }

    /// How a warm start gets the seeded cluster of the cached entry `key`: cloned by reflink
    /// from the entry's tree beside the cache when the cache and the service directory share
    /// a reflink file system; else, as root, from its tree in the ``LoopImage`` into a folder
    /// there (kept in ``imageClone``); else copied (today's unpack of the pack). A clone is
    /// taken only for a pack large enough to gain from it (``ClusterTrees/smallestPack``, on
    /// any file system), or with `TESTBED_STORAGE=reflink`; `TESTBED_STORAGE=copy` forces
    /// the copy. `note` says why a possible clone was not taken. Throws `.startup` for a bad value.
    func warmStorage(_ key: String) throws -> (method: CloneMethod, trees: ClusterTrees?, note: String?) {
        let choice = options.environment[StorageBackend.variable]
        if choice != "copy" { try trees.prepare() }
        var info = stat()
        let packSize = stat(cache.path(key), &info) == 0 ? UInt64(info.st_size) : 0
        let worthCloning = packSize >= ClusterTrees.smallestPack || choice == "reflink"
        let smallSeed = "a seed under \(ClusterTrees.smallestPack >> 20) MB copies faster than it clones"
        if try storage(from: trees.root) == .reflink {
            return worthCloning ? (.reflink, trees, nil) : (.copy, nil, smallSeed)
        }
        if let clone = imageClone.withLock({ $0 }) { return (.reflink, clone.trees, nil) }  // a second attempt
        guard let image = LoopImage.forRun(in: options.serviceDirectory, environment: options.environment) else {
            return (.copy, nil, nil)
        }
        guard worthCloning else { return (.copy, nil, smallSeed) }
        guard let clone = ImageClone.make(image: image, cache: cache, packSize: packSize, serviceName: options.serviceName,
                                          user: account.user) else { return (.copy, nil, nil) }
        imageClone.withLock { $0 = clone }
        return (.reflink, clone.trees, nil)
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

    /// Clones the tree of the cached entry `name` (in `trees`) into the run's data directory
    /// by reflink, unpacking the tree from the pack first when missing; a clone in the loop
    /// image is linked as `data`. The template databases' folders are left in the tree
    /// until a reset or clone needs them (``DeferredTemplates``): they cost no room, but
    /// half the files, and a clone's time goes per file. Returns the weakest method a file used.
    ///
    /// Returns nil when the pack is damaged and `retrying`: it is deleted (the caller
    /// builds it again); throws otherwise.
    func cloneCached(_ name: String, from trees: ClusterTrees, retrying: Bool) async throws -> CloneMethod? {
        let source: String
        do {
            source = try await trees.tree(name)
        } catch let error as PostgresError where error.code == .damagedCache && retrying {
            options.report(.note, "warning: \(error.message); it is deleted and rebuilt")
            cache.discard(name)
            trees.discard(name)
            return nil
        }
        let (owner, link, deferred) = (account.user, dataDirectory, Set(templates.folders))
        let destination = imageClone.withLock { $0?.dataDirectory } ?? dataDirectory
        let method = try await BlockingWork.run { () -> Result<CloneMethod, PostgresError> in
            Result { () throws(PostgresError) in
                let method = try ClusterFiles.copyTree(from: source, to: destination, owner: owner, best: .reflink,
                                                       excluding: deferred)
                if destination != link, symlink(destination, link) != 0 { throw ClusterFiles.failure("cannot link \(link)") }
                return method
            }
        }.get()
        let staging = imageClone.withLock { $0.map { $0.folder + "/template-staging" } } ?? options.serviceDirectory + "/template-staging"
        templates.keep(tree: source, dataDirectory: destination, staging: staging)
        return method
    }

    /// Makes the run's data directory from `build`, the cluster a cold start built and
    /// shut down, and fills the cache entry `lease` from it, holding one copy of the data
    /// in the end: with `.reflink`, `data` is a clone of `build` (shared extents) and
    /// `build` is packed in the background, then deleted; with `.copy`, `build` is packed
    /// first, its template databases' folders are left to the pack (``DeferredTemplates``,
    /// as on a warm start), then it is renamed to `data` (no second copy, no copy time).
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
        let (pack, folders) = (cache.path(lease.name), templates.folders)
        // The templates then leave `data` for the pack, as on a warm start (DeferredTemplates).
        let outcome = await BlockingWork.run { () -> Result<ClusterPack.Deferred?, PostgresError> in
            defer { lease.release() }
            return Result { () throws(PostgresError) -> ClusterPack.Deferred? in
                try lease.publishCopy(of: build)
                guard let deferred = try ClusterPack.openDeferred(pack, deferring: folders) else { return nil }
                folders.forEach { ClusterFiles.remove($0, below: build) }
                return deferred
            }
        }
        switch outcome {
        case .success(let deferred): templates.keep(deferred)
        case .failure(let error): options.report(.note, "cannot write the cache entry \(lease.name): \(error)")
        }
        let packed = Self.ms(clock.now - began)
        guard rename(build, dataDirectory) == 0 else { throw ClusterFiles.failure("cannot move \(build) to \(dataDirectory)") }
        return "cache written in \(packed) ms, build moved to data"
    }
}
