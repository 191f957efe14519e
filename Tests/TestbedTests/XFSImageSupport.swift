import Foundation
import Testing
@testable import TestbedSystem

/// An XFS file system made with `reflink=1` on a loop device, its image in `/dev/shm`, for
/// one test: the file system where clones share extents. Root only; unmounted (and the
/// loop device freed: `mount -o loop` sets it to clear itself) when released.
final class XFSImage: Sendable {
    /// Where the file system is mounted (its root is 0755, root's).
    let mountPoint: String
    private let folder: String

    /// Why no image can be made here, or nil.
    static let unavailable: String? = {
        if !UnixUser.isRoot { return "needs root (loop devices and mount)" }
        if mkfs == nil { return "needs mkfs.xfs (xfsprogs)" }
        if access("/dev/loop-control", F_OK) != 0 { return "no loop devices here" }
        return nil
    }()

    static let mkfs: String? = ["/usr/sbin/mkfs.xfs", "/sbin/mkfs.xfs"].first { access($0, X_OK) == 0 }

    /// Makes and mounts an image of `megabytes` (XFS wants 300 at least).
    init(megabytes: Int = 320) throws {
        folder = "/dev/shm/testbed-xfs-\(UUID().uuidString.prefix(8))"
        guard mkdir(folder, 0o700) == 0 else { throw LocalAttackerError(message: "cannot create \(folder)") }
        chmod(folder, 0o711)  // the servers' accounts pass through to their folders
        mountPoint = folder + "/mnt"
        let image = folder + "/image"
        let descriptor = open(image, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0, ftruncate(descriptor, off_t(megabytes) << 20) == 0 else {
            throw LocalAttackerError(message: "cannot create \(image)")
        }
        close(descriptor)
        let made = try LocalAttacker.command(Self.mkfs ?? "mkfs.xfs", ["-q", "-m", "reflink=1", image])
        guard made.status == 0 else { throw LocalAttackerError(message: "mkfs.xfs: \(made.output)") }
        mkdir(mountPoint, 0o755)
        let mounted = try LocalAttacker.command("/bin/mount", ["-o", "loop", image, mountPoint])
        guard mounted.status == 0 else { throw LocalAttackerError(message: "mount -o loop: \(mounted.output)") }
        chmod(mountPoint, 0o755)
    }

    /// Bytes in use on the file system.
    var used: UInt64 {
        var info = statvfs()
        statvfs(mountPoint, &info)
        return UInt64(info.f_blocks - info.f_bfree) * UInt64(info.f_frsize)
    }

    deinit {
        if (try? LocalAttacker.command("/bin/umount", [mountPoint]))?.status != 0 {
            _ = try? LocalAttacker.command("/bin/umount", ["-l", mountPoint])
        }
        _ = try? LocalAttacker.command("/bin/rm", ["-rf", folder])
    }
}
