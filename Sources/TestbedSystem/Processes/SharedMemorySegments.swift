import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// System V shared memory segments, as `/proc/sysvipc/shm` lists them: the one place
/// Testbed reads that table and removes a segment.
///
/// A PostgreSQL server keeps its interlock segment until it exits cleanly; one killed with
/// SIGKILL (a forced teardown, the watchdog's escalation, the OOM killer) leaves it behind
/// with nothing attached. A segment is removed only when nothing is attached to it and it
/// was created by the process Testbed names (its creator pid), which is gone.
package enum SharedMemorySegments {
    /// One line of the table, the fields Testbed uses.
    package struct Segment: Sendable, Equatable {
        var key: Int32
        package var id: Int32
        /// The pid of the process that created the segment.
        package var creator: Int32
        /// How many processes are attached.
        var attached: Int
        /// The owner's and the creator's user ids.
        var uid: uid_t
        package var creatorUID: uid_t
    }

    /// Every segment this process can see (all of them: the table is world-readable).
    package static func all() -> [Segment] {
        guard let data = ProcessTable.read("/proc/sysvipc/shm") else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: " ")
            // key shmid perms size cpid lpid nattch uid gid cuid cgid ...
            guard fields.count > 9, let key = Int32(fields[0]), let id = Int32(fields[1]), let creator = Int32(fields[4]),
                  let attached = Int(fields[6]), let uid = uid_t(fields[7]), let creatorUID = uid_t(fields[9]) else { return nil }
            return Segment(key: key, id: id, creator: creator, attached: attached, uid: uid, creatorUID: creatorUID)
        }
    }

    /// Removes the segment `id` if `creator` made it, that process is gone and nothing is
    /// attached. Returns true when it was removed.
    @discardableResult
    package static func removeOrphan(id: Int32, creator: Int32) -> Bool {
        guard let segment = all().first(where: { $0.id == id }), segment.creator == creator, segment.attached == 0,
              !ProcessTable.isAlive(creator) else { return false }
        return shmctl(id, IPC_RMID, nil) == 0
    }

    /// Like ``removeOrphan(id:creator:)``, waiting up to `limit` for the last processes
    /// attached (a killed server's children, exiting) to let go. Blocks the thread.
    @discardableResult
    static func removeOrphan(id: Int32, creator: Int32, waiting limit: Duration) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while true {
            if removeOrphan(id: id, creator: creator) { return true }
            guard let segment = all().first(where: { $0.id == id }), segment.creator == creator,
                  clock.now < deadline else { return false }
            usleep(5_000)
        }
    }
}
