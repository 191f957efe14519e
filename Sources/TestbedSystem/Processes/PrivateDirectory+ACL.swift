import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension PrivateDirectory {
    /// Lets `uid` search (not list) the directory `path`, which this account owns, through a
    /// POSIX ACL entry `user:UID:--x`. Returns false when the file system has no ACLs.
    ///
    /// The mode's group bits show the ACL mask afterwards (`drwx--x---`): no write for anyone
    /// but the owner, so ``verify(_:what:)`` still accepts the directory.
    ///
    /// Holds an exclusive `flock` on the directory while it reads, changes and writes the ACL:
    /// concurrent runs in one run root grant entries for their own user ids to the same
    /// folders, and two unlocked read-modify-writes would lose one of them.
    @discardableResult
    package static func grantSearch(_ path: String, to uid: uid_t) -> Bool {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { return false }
        }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return false }
        var entries = readACL(path) ?? [
            ACLEntry(tag: ACLEntry.userObject, permissions: UInt16((info.st_mode >> 6) & 7), id: ACLEntry.undefined),
            ACLEntry(tag: ACLEntry.groupObject, permissions: UInt16((info.st_mode >> 3) & 7), id: ACLEntry.undefined),
            ACLEntry(tag: ACLEntry.other, permissions: UInt16(info.st_mode & 7), id: ACLEntry.undefined),
        ]
        let groupObject = entries.first { $0.tag == ACLEntry.groupObject }?.permissions ?? 0
        let mask = entries.first { $0.tag == ACLEntry.mask }?.permissions ?? groupObject
        let previous = entries.first { $0.tag == ACLEntry.user && $0.id == uid }?.permissions ?? 0
        entries.removeAll { $0.tag == ACLEntry.mask || ($0.tag == ACLEntry.user && $0.id == uid) }
        entries.append(ACLEntry(tag: ACLEntry.user, permissions: previous | 1, id: uid))
        entries.append(ACLEntry(tag: ACLEntry.mask, permissions: mask | 1, id: ACLEntry.undefined))
        guard let setxattr = XAttr.set else { return false }
        return encoded(entries).withUnsafeBytes { setxattr(path, "system.posix_acl_access", $0.baseAddress, $0.count, 0) } == 0
    }

    /// Gives `uid` the `permissions` (`rw-` is 6) on the socket `path` through a POSIX ACL
    /// entry, without following a link (`lsetxattr`): the socket's folder may belong to
    /// another account, which could swap the socket for a link. Returns false for anything
    /// but a socket, or when the file system has no ACLs.
    package static func grantAccess(_ path: String, to uid: uid_t, permissions: UInt16) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK, let lsetxattr = XAttr.lset else { return false }
        let mode = info.st_mode
        let entries = [
            ACLEntry(tag: ACLEntry.userObject, permissions: UInt16((mode >> 6) & 7), id: ACLEntry.undefined),
            ACLEntry(tag: ACLEntry.groupObject, permissions: UInt16((mode >> 3) & 7), id: ACLEntry.undefined),
            ACLEntry(tag: ACLEntry.user, permissions: permissions, id: uid),
            ACLEntry(tag: ACLEntry.mask, permissions: UInt16((mode >> 3) & 7) | permissions, id: ACLEntry.undefined),
            ACLEntry(tag: ACLEntry.other, permissions: UInt16(mode & 7), id: ACLEntry.undefined),
        ]
        return encoded(entries).withUnsafeBytes { lsetxattr(path, "system.posix_acl_access", $0.baseAddress, $0.count, 0) } == 0
    }

    /// `entries` as the `system.posix_acl_access` value: the version, then each entry
    /// (tag, permissions, id), little-endian, sorted by tag and id as the kernel requires.
    private static func encoded(_ entries: [ACLEntry]) -> [UInt8] {
        var bytes: [UInt8] = []
        appendLittleEndian(UInt32(2), to: &bytes)  // POSIX_ACL_XATTR_VERSION
        for entry in entries.sorted(by: { ($0.tag, $0.id) < ($1.tag, $1.id) }) {
            appendLittleEndian(entry.tag, to: &bytes)
            appendLittleEndian(entry.permissions, to: &bytes)
            appendLittleEndian(entry.id, to: &bytes)
        }
        return bytes
    }

    /// libc's `getxattr`/`setxattr`, looked up at run time: Glibc's Swift module does not
    /// include `<sys/xattr.h>`.
    enum XAttr {
        typealias Get = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeMutableRawPointer?, Int) -> Int
        typealias Set = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeRawPointer?, Int, Int32) -> Int32
        static let get: Get? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "getxattr").map { unsafeBitCast($0, to: Get.self) }
        static let set: Set? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setxattr").map { unsafeBitCast($0, to: Set.self) }
        static let lset: Set? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "lsetxattr").map { unsafeBitCast($0, to: Set.self) }
    }

    /// One entry of the kernel's `system.posix_acl_access` format.
    struct ACLEntry {
        static let userObject: UInt16 = 0x01, user: UInt16 = 0x02, groupObject: UInt16 = 0x04
        static let mask: UInt16 = 0x10, other: UInt16 = 0x20
        static let undefined = UInt32.max
        var tag: UInt16
        var permissions: UInt16
        var id: UInt32
    }

    static func readACL(_ path: String) -> [ACLEntry]? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        guard let getxattr = XAttr.get else { return nil }
        let size = buffer.withUnsafeMutableBytes { getxattr(path, "system.posix_acl_access", $0.baseAddress, $0.count) }
        guard size >= 4, (size - 4) % 8 == 0 else { return nil }
        func read<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            var value: T = 0
            for index in 0..<MemoryLayout<T>.size { value |= T(buffer[offset + index]) << (8 * index) }
            return value
        }
        return stride(from: 4, to: size, by: 8).map {
            ACLEntry(tag: read($0, UInt16.self), permissions: read($0 + 2, UInt16.self), id: read($0 + 4, UInt32.self))
        }
    }

    private static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    /// The first ancestor of `directory` that `user` cannot search, after giving the
    /// `grantingLevels` nearest ones (private folders of this account: the service folder,
    /// `RUN_DIR/services`, `RUN_DIR`, the run root) an ACL search entry where they need one;
    /// nil when `user` reaches `directory`. Folders further up are never changed.
    package static func firstUnreachableAncestor(of directory: String, for user: UnixUser, grantingLevels: Int) -> String? {
        var path = (directory as NSString).deletingLastPathComponent
        var level = 0
        while path != "/" && !path.isEmpty {
            defer { level += 1 }
            var info = stat()
            if stat(path, &info) == 0 {
                let mode = info.st_mode
                var searchable = info.st_uid == user.uid ? mode & S_IXUSR != 0
                    : info.st_gid == user.gid ? mode & S_IXGRP != 0 : mode & S_IXOTH != 0
                if !searchable && level < grantingLevels && info.st_uid == geteuid() {
                    searchable = grantSearch(path, to: user.uid)
                }
                if !searchable { return path }
            }
            path = (path as NSString).deletingLastPathComponent
        }
        return nil
    }
}
