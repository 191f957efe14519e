import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A system account, for running servers that refuse root (PostgreSQL) as someone else.
package struct UnixUser: Sendable, Hashable {
    /// The account's login name.
    package var name: String
    /// The account's user id.
    package var uid: uid_t
    /// The account's primary group id.
    package var gid: gid_t
    /// False for a bare user id without a passwd entry (a `DynamicUser`): it has no
    /// supplementary groups to take, and programs that look their account up refuse it.
    package var hasPasswdEntry = true

    /// Looks up an account by name; nil when there is none.
    package static func named(_ name: String) -> UnixUser? {
        guard let entry = getpwnam(name) else { return nil }
        return UnixUser(name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    /// The account this process runs as.
    package static var current: UnixUser {
        let uid = geteuid()
        let name = getpwuid(uid).map { String(cString: $0.pointee.pw_name) } ?? "\(uid)"
        return UnixUser(name: name, uid: uid, gid: getegid())
    }

    /// True when this process runs with effective user id 0.
    package static var isRoot: Bool { geteuid() == 0 }

    /// Changes the owner of `path` and everything below it (no-op when it already matches).
    package func own(_ path: String) throws {
        try Self.chownTree(path, uid: uid, gid: gid)
    }

    static func chownTree(_ path: String, uid: uid_t, gid: gid_t) throws {
        if lchown(path, uid, gid) != 0 {
            throw POSIXError(.init(rawValue: errno) ?? .EPERM)
        }
        guard let enumerator = FileManager.default.enumerator(atPath: path) else { return }
        for case let relative as String in enumerator {
            lchown(path + "/" + relative, uid, gid)
        }
    }

    /// The argument prefix that runs a command as this user (`setpriv`, which execs
    /// without forking, so the server stays the direct child and its group leader).
    package var commandPrefix: [String] {
        ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(gid)", hasPasswdEntry ? "--init-groups" : "--clear-groups", "--"]
    }
}
