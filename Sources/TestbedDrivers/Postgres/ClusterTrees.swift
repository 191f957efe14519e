import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

/// Cache entries unpacked once into folders, `cacheRoot/postgres/trees/NAME`: the source
/// of reflink clones, where the cache and the run directories share a reflink file system
/// (see ``StorageBackend``). A run's data directory is then a clone of a tree: it takes no
/// data blocks until the server writes, and costs a few system calls per file.
///
/// A tree is made from its verified pack the first time a run needs it, under an
/// exclusive `flock` on `NAME.lock`, into `.tmp-NAME-...`, published with an atomic
/// `rename`; a maker that dies leaves a `.tmp-` folder that the next one removes. Trees
/// are never written after that: a clone's writes go to its own extents.
struct ClusterTrees: Sendable {
    let cache: ClusterCache
    let root: String

    /// The smallest pack worth cloning by default, on any reflink file system: below it, a
    /// clone's per-file cost (XFS metadata, ~1,300 files a cluster) is more than the copy's
    /// per-byte cost. The 50k-order seed (a 13 MB pack): in the image as root, clone 42-48 ms
    /// against an unpack to tmpfs of 29-41 ms; on an XFS home (cache and runs there), clone
    /// 43 ms against an unpack into XFS of 30 ms, medians of 7 (docs/benchmarks.md).
    /// `TESTBED_STORAGE=reflink` clones whatever the size.
    static let smallestPack: UInt64 = 64 << 20

    /// The trees of `cache`, in `root` (default: beside the packs, `cacheRoot/postgres/trees`;
    /// as root without a reflink file system there, in the ``LoopImage``).
    init(cache: ClusterCache, root: String? = nil) {
        self.cache = cache
        self.root = root ?? cache.root + "/trees"
    }

    /// The folder of entry `name`.
    func path(_ name: String) -> String { root + "/" + name }

    /// True when the tree of `name` is complete (it appears complete, by a rename).
    func exists(_ name: String) -> Bool {
        var info = stat()
        return lstat(path(name), &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// Creates the private folder of trees (and the cache's, see ``ClusterCache/makePrivate()``).
    func prepare() throws(PostgresError) {
        do {
            try cache.makePrivate()
            try PrivateDirectory.ensure((root as NSString).deletingLastPathComponent, what: "the folder of unpacked cache entries")
            try PrivateDirectory.ensure(root, what: "the folder of unpacked cache entries")
        } catch {
            throw PostgresError(code: .cache, message: error.description)
        }
    }

    /// The tree of the cached entry `name`, unpacked from its pack when missing; another
    /// process unpacking the same tree is waited for.
    ///
    /// Throws `.damagedCache` when the pack fails its check (the caller deletes it and
    /// builds again), `.diskFull` when the tree does not fit.
    func tree(_ name: String) async throws -> String {
        if exists(name) { return path(name) }
        try prepare()
        let lock = open(root + "/" + name + ".lock", O_CREAT | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw ClusterFiles.failure("cannot open the lock of \(path(name))") }
        defer { close(lock) }  // also releases the flock
        // Non-blocking attempts: a blocking flock would hold one of the few cooperative threads.
        while flock(lock, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else { throw ClusterFiles.failure("cannot lock \(path(name))") }
            try await Task.sleep(for: .milliseconds(5))
        }
        if exists(name) { return path(name) }
        let (root, pack, destination) = (root, cache.path(name), path(name))
        try await BlockingWork.run { () -> Result<Void, PostgresError> in
            Result { () throws(PostgresError) in
                for stale in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
                where stale.hasPrefix(".tmp-\(name)-") {
                    ClusterFiles.remove(root + "/" + stale)
                }
                let temporary = root + "/.tmp-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
                do throws(PostgresError) {
                    // Duplicates (a template and its database) as clones: the tree holds the seed once.
                    try ClusterPack.unpack(pack, to: temporary, owner: nil, cloningDuplicates: true)
                    guard rename(temporary, destination) == 0 else { throw ClusterFiles.failure("cannot publish \(destination)") }
                } catch {
                    ClusterFiles.remove(temporary)
                    throw error
                }
            }
        }.get()
        return destination
    }

    /// Deletes the tree of `name` (its pack was damaged or replaced); runs cloned from it keep their files.
    func discard(_ name: String) {
        ClusterFiles.remove(path(name))
    }
}
