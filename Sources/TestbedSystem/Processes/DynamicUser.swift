import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A user id of Testbed's own range, leased to one run, so that a server started as root
/// runs under an account no other run shares (like systemd's `DynamicUser=`).
///
/// The ids have no passwd entry (none is created: no `useradd`, nothing to remove after
/// a crash). A lease is an exclusive `flock` on `/run/testbed/uids/UID.lock`, a folder
/// only root can write: the kernel releases it when the owner dies, however it dies. The
/// lowest free id is taken, after checking that no account is named for it; before it is
/// handed out, and again when it is given back, whatever a previous holder left running
/// as that id is killed and its System V segments with nothing attached are removed.
///
/// Root only. Programs that look their account up (`initdb`) cannot run as such an id;
/// the postmaster itself does not need an entry.
package final class DynamicUser: Sendable {
    /// The reserved range: 1,024 ids from 2,097,152,000 (0x7D000000), below 2^31 (some
    /// tools take uids as signed), above the ranges distributions, systemd's dynamic users
    /// and the usual `/etc/subuid` allocations use.
    package static let range: ClosedRange<uid_t> = 0x7D00_0000...0x7D00_03FF
    /// Where the leases' lock files live.
    static let folder = "/run/testbed/uids"

    /// The leased id, as an account without a passwd entry.
    package let user: UnixUser
    private let lock: Mutex<Int32>

    private init(uid: uid_t, lock: Int32) {
        self.user = UnixUser(name: "testbed-\(uid)", uid: uid, gid: uid, hasPasswdEntry: false)
        self.lock = Mutex(lock)
    }

    deinit { release() }

    /// True when `uid` is one of Testbed's dynamic ids.
    package static func contains(_ uid: uid_t) -> Bool { range.contains(uid) }

    /// Leases the lowest free id of the range, cleared of whatever a previous holder left.
    ///
    /// Returns nil when every id is leased. Throws ``PathTrustError`` when the lock folder
    /// is not root's own and private.
    package static func lease() throws(PathTrustError) -> DynamicUser? {
        try PrivateDirectory.makePath("/run/testbed", privateLevels: 1)
        try PrivateDirectory.ensure(folder, what: "the dynamic user lock folder")
        for uid in range where getpwuid(uid) == nil {
            guard let lock = tryLock(uid) else { continue }
            clear(uid)
            return DynamicUser(uid: uid, lock: lock)
        }
        return nil
    }

    /// Kills what still runs as the id, removes its orphaned segments, and gives the lease
    /// up. Safe to call more than once.
    package func release() {
        lock.withLock { lock in
            guard lock >= 0 else { return }
            Self.clear(user.uid)
            close(lock)
            lock = -1
        }
    }

    /// An exclusive, non-blocking lock on `uid`'s lock file; nil when another run holds it.
    private static func tryLock(_ uid: uid_t) -> Int32? {
        let lock = open("\(folder)/\(uid).lock", O_CREAT | O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o600)
        guard lock >= 0 else { return nil }
        var info = stat()
        guard fstat(lock, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_uid == geteuid(),
              flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            close(lock)
            return nil
        }
        return lock
    }

    /// For `testbed gc` (whose cheap part runs at every start): clears every id of the
    /// range that something still runs as, or that owns a segment, and that no run holds.
    /// One walk of `/proc` and of the segment table when nothing is left (the usual case).
    /// Returns the ids it cleared.
    package static func sweep() -> [uid_t] {
        guard UnixUser.isRoot else { return [] }
        var left = Set(SharedMemorySegments.all().flatMap { [$0.uid, $0.creatorUID] }.filter(contains))
        left.formUnion(idsInUse())
        var cleared: [uid_t] = []
        for uid in left.sorted() {
            guard let lock = tryLock(uid) else { continue }
            if clear(uid) { cleared.append(uid) }
            close(lock)
        }
        return cleared
    }

    /// The ids of the range that a process runs as (the owner of `/proc/PID`).
    private static func idsInUse() -> Set<uid_t> {
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var ids: Set<uid_t> = []
        while let item = readdir(directory) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            var info = stat()
            if Int32(name) != nil, stat("/proc/" + name, &info) == 0, contains(info.st_uid) { ids.insert(info.st_uid) }
        }
        return ids
    }

    /// SIGKILL to every live process running as `uid` (each checked by its start time just
    /// before the signal), a wait of up to two seconds for them to go, then the removal of
    /// the segments `uid` owns or created that nothing is attached to. True when anything was found.
    @discardableResult
    static func clear(_ uid: uid_t) -> Bool {
        var found = false
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(2)
        while true {
            let left = processes(of: uid)
            if left.isEmpty || clock.now > deadline { break }
            found = true
            for process in left { _ = process.signal(SIGKILL) }
            usleep(5_000)
        }
        for segment in SharedMemorySegments.all()
        where (segment.uid == uid || segment.creatorUID == uid) && segment.attached == 0 {
            if shmctl(segment.id, IPC_RMID, nil) == 0 { found = true }
        }
        return found
    }

    /// The live processes whose effective user id is `uid` (the owner of `/proc/PID`).
    static func processes(of uid: uid_t) -> [ProcessIdentity] {
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var found: [ProcessIdentity] = []
        while let item = readdir(directory) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            var info = stat()
            // A cheap stat first; then the identity, and the owner read again, so that the owner
            // is that identity's (the signal checks the identity once more).
            guard let pid = Int32(name), stat("/proc/" + name, &info) == 0, info.st_uid == uid,
                  let identity = ProcessIdentity.of(pid), stat("/proc/" + name, &info) == 0, info.st_uid == uid,
                  identity.isRunning else { continue }
            found.append(identity)
        }
        return found
    }
}
