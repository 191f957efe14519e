import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

/// The template databases of a warm start, kept in the cached pack until a reset or a
/// clone first needs one: a run that never resets nor clones holds its seeded data once.
///
/// Each seeded database `DB` has its template `DB__testbed_template` at a fixed OID
/// (``oid(_:)``), so its folder `base/OID` is known before the cluster starts. A warm
/// start unpacks everything else: the catalog lists the template, its folder is missing.
/// Nothing reads it meanwhile (it refuses connections; no cached page of it exists), and a
/// database folder holds its own catalog, so writing it later from the same pack gives the
/// template exactly as it was built. The folder is written as the caller into a private
/// staging folder of the service directory, given to the server's account, and moved into
/// `data/base` with `renameat` from descriptors opened with `O_NOFOLLOW`: the server's
/// account, which owns `data`, cannot redirect it.
final class DeferredTemplates: Sendable {
    /// The data directory and the staging folders' prefix: the service directory's, or a
    /// clone's in the reflink image (see ``keep(tree:dataDirectory:staging:)``).
    private let place: Mutex<(dataDirectory: String, staging: String)>
    private var dataDirectory: String { place.withLock { $0.dataDirectory } }
    private let owner: UnixUser?
    private let databases: [String]
    /// The open pack and its template entries; nil once every template is written, or on a cold start.
    private let pending = Mutex<ClusterPack.Deferred?>(nil)
    /// Databases whose template folder has been written.
    private let written = Mutex<Set<String>>([])
    /// The tree a reflink clone came from; nil unless the templates were left in it.
    private let tree = Mutex<String?>(nil)

    init(dataDirectory: String, staging: String, owner: UnixUser?, databases: [String]) {
        self.place = Mutex((dataDirectory, staging))
        self.owner = owner
        self.databases = databases
    }

    /// The OID of the template of the `index`-th database of the spec: far above what a
    /// seed allocates, below the OIDs PostgreSQL reserves.
    static func oid(_ index: Int) -> UInt32 { 1_900_000_000 + UInt32(index) }

    /// Where the template of the `index`-th database is written before it moves into place
    /// (one per database: two templates may be written at once).
    func stagingFolder(_ index: Int) -> String { place.withLock { $0.staging } + "-\(Self.oid(index))" }

    /// Every staging folder, for the clean-up at stop.
    var stagingFolders: [String] { databases.indices.map(stagingFolder) }

    /// The template folders a warm start leaves in the pack, relative to the data directory.
    var folders: [String] { databases.indices.map { "base/\(Self.oid($0))" } }

    /// Keeps the open pack whose template entries an unpack deferred.
    func keep(_ deferred: ClusterPack.Deferred?) {
        pending.withLock { $0 = deferred }
    }

    /// Keeps the unpacked tree (``ClusterTrees``) whose template folders a reflink clone
    /// left out: a template is then cloned from it when first needed, through a staging
    /// folder on the clone's file system (`staging`, a prefix) into `dataDirectory` (the
    /// clone's real path, not a link to it).
    /// A data directory cloned anew (a reset that re-cloned) holds no template: each is
    /// deferred again.
    func keep(tree: String, dataDirectory: String, staging: String) {
        place.withLock { $0 = (dataDirectory, staging) }
        written.withLock { $0 = [] }
        self.tree.withLock { $0 = tree }
    }

    /// True while the template of `database` is only in the pack or the tree.
    func isDeferred(_ database: String) -> Bool {
        (pending.withLock { $0 != nil } || tree.withLock { $0 != nil }) && !written.withLock { $0.contains(database) }
    }

    /// The bytes the templates still in the pack would take.
    var deferredSize: UInt64 {
        pending.withLock { $0.map { ClusterPack.unpackedSize($0.entries) } ?? 0 }
    }

    /// Writes the template folder of `database` into the data directory unless it is
    /// there. Blocking; callers serialize calls for one database (``SpareDatabases`` does).
    ///
    /// Throws `.diskFull` with both sizes when it does not fit, `.cache` when a step fails
    /// (nothing is left in the staging folder then).
    func restore(_ database: String) throws(PostgresError) {
        guard let index = databases.firstIndex(of: database), isDeferred(database) else { return }
        let folder = "base/\(Self.oid(index))"
        let staging = stagingFolder(index)
        ClusterFiles.remove(staging)
        do {
            if let tree = tree.withLock({ $0 }) {
                // A clone shares the tree's extents: no room to check but metadata.
                try ClusterFiles.copyTree(from: tree + "/" + folder, to: staging, owner: owner, best: .reflink)
            } else if let deferred = pending.withLock({ $0 }) {
                try FreeSpace.check(need: deferred.size(below: folder), extra: 1 << 20,
                                    at: (staging as NSString).deletingLastPathComponent, for: "the template of \(database)")
                try deferred.write(folder, to: staging, owner: owner)
            } else {
                return
            }
            try move(staging, into: folder)
        } catch {
            ClusterFiles.remove(staging)
            throw error
        }
        let all = written.withLock { written in
            written.insert(database)
            return written.count == databases.count
        }
        if all {
            pending.withLock { $0 = nil }
            tree.withLock { $0 = nil }
        }
    }

    /// Renames `source` (a folder of the caller's) to `data/<folder>` through descriptors.
    private func move(_ source: String, into folder: String) throws(PostgresError) {
        let parts = folder.split(separator: "/").map(String.init)
        var directory = open(dataDirectory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard directory >= 0 else { throw ClusterFiles.failure("cannot open \(dataDirectory)") }
        defer { close(directory) }
        for part in parts.dropLast() {
            let next = openat(directory, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard next >= 0 else { throw ClusterFiles.failure("cannot open \(dataDirectory)/\(part)") }
            close(directory)
            directory = next
        }
        guard renameat(AT_FDCWD, source, directory, parts.last!) == 0 else {
            throw ClusterFiles.failure("cannot move the template into \(dataDirectory)/\(folder)")
        }
    }
}
