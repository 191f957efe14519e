import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

extension ClusterPack {
    /// A file of an unpack whose content an earlier file of the same unpack holds.
    struct Duplicate: Sendable {
        var path: String
        /// The earlier file, already written.
        var source: String
        var mode: mode_t
    }

    /// Makes each duplicate a clone of its source (a reflink on a file system that shares
    /// extents, else a copy), by two threads: a pack stores a database and its template
    /// once, and an unpacked tree then holds it once too.
    static func cloneDuplicates(_ duplicates: [Duplicate], owner: UnixUser?) throws(PostgresError) {
        try BlockingWork.forEach(duplicates, lanes: duplicates.count > 64 ? 2 : 1) { duplicate throws(PostgresError) in
            let input = open(duplicate.source, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard input >= 0 else { throw ClusterFiles.failure("cannot open \(duplicate.source)") }
            defer { close(input) }
            _ = try ClusterFiles.copyOpened(input, name: duplicate.source, to: duplicate.path, mode: duplicate.mode,
                                            owner: owner, best: .reflink)
        }
    }
}
