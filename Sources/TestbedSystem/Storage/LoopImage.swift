import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An XFS file system with reflink on a loop device, its image a sparse file in tmpfs: where
/// root's runs clone seeded clusters when the cache and the run root share no reflink file
/// system. Made once per boot (tmpfs is empty after one), grown when a seed needs more,
/// unmounted and deleted by `testbed gc` when no run holds it.
///
/// Everything is in `folder` (default `/dev/shm/testbed-0/.reflink`), a folder only root
/// can change (``PrivateDirectory``): `image`, the mount point `mnt` (0700; a run grants
/// its server account search on the way to its own folder), `setup.lock` (exclusive while
/// the image is made, grown or torn down) and `use.lock` (shared by every run that holds
/// the image, for its lifetime; a killed run's hold goes with its descriptors). Mounted with
/// `discard`: space freed in the file system is given back to tmpfs.
///
/// Root only: without root, loop devices, `mkfs.xfs` or `mount` (an unprivileged
/// container), ``hold(need:)`` returns nil and the caller copies, silently. The tools are
/// found by absolute path (`/usr/sbin`, `/sbin`): the unprivileged lane's `PATH` has neither.
package final class LoopImage: Sendable {
    /// The folder that holds the image, its mount point and its locks.
    package let folder: String
    /// Where the file system is mounted.
    package var mountPoint: String { folder + "/mnt" }
    var image: String { folder + "/image" }

    /// Uses `folder` (which must be, or be creatable as, a folder only this account changes).
    package init(folder: String) {
        self.folder = folder
    }

    /// The image of root's runs, `/dev/shm/testbed-0/.reflink`; nil for other accounts or
    /// without `/dev/shm`.
    package static func standard() -> LoopImage? {
        guard geteuid() == 0, access("/dev/shm", W_OK) == 0 else { return nil }
        return LoopImage(folder: "/dev/shm/testbed-0/.reflink")
    }

    /// The image a run in `serviceDirectory` with `environment` clones into: the one in the
    /// folder `TESTBED_STORAGE_IMAGE` names (`off`: none), else ``standard()`` when the run
    /// is in root's default run root (`/dev/shm/testbed-0`: a run root the user or a test
    /// named is where they want the data); nil with `TESTBED_STORAGE=copy`.
    package static func forRun(in serviceDirectory: String, environment: [String: String]) -> LoopImage? {
        if environment[StorageBackend.variable] == "copy" { return nil }
        if let named = named(environment) { return named.folder == "off" ? nil : named }
        guard let standard = standard(),
              serviceDirectory.hasPrefix((standard.folder as NSString).deletingLastPathComponent + "/") else { return nil }
        return standard
    }

    /// The image `testbed gc` tears down when no run holds it: the one `TESTBED_STORAGE_IMAGE`
    /// names, else ``standard()``.
    package static func forCollection(environment: [String: String]) -> LoopImage? {
        if let named = named(environment) { return named.folder == "off" ? nil : named }
        return standard()
    }

    private static func named(_ environment: [String: String]) -> LoopImage? {
        guard let folder = environment["TESTBED_STORAGE_IMAGE"], !folder.isEmpty else { return nil }
        return LoopImage(folder: folder.hasPrefix("/") ? folder : "off")
    }

    static func tool(_ name: String, in folders: [String] = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]) -> String? {
        folders.map { $0 + "/" + name }.first { access($0, X_OK) == 0 }
    }

    /// Why no image can be made here, or nil when it can.
    package static var unavailable: String? {
        if geteuid() != 0 { return "not root" }
        var control = stat()
        // The loop control device is character device 10:237; a container may hide it or put /dev/null there.
        guard stat("/dev/loop-control", &control) == 0, control.st_mode & S_IFMT == S_IFCHR,
              control.st_rdev == (10 << 8 | 237) else { return "no loop devices" }
        for name in ["mkfs.xfs", "xfs_growfs", "mount", "umount", "losetup"] where tool(name) == nil { return "no \(name)" }
        return nil
    }

    /// A run's hold on the mounted image: while any exists, `gc` leaves the image alone.
    package final class Hold: Sendable {
        private let lock: Mutex<Int32>
        /// Where the file system is mounted.
        package let mountPoint: String

        init(lock: Int32, mountPoint: String) {
            self.lock = Mutex(lock)
            self.mountPoint = mountPoint
        }

        deinit { release() }

        /// Gives the hold up; safe to call more than once.
        package func release() {
            lock.withLock { lock in
                if lock >= 0 { close(lock) }
                lock = -1
            }
        }
    }

    /// Mounts the image (making it the first time) with at least `need` bytes free in it,
    /// growing it when tmpfs has the room, and holds it. Returns nil, silently, when the image
    /// cannot be had (see the type); the caller copies instead. Blocks: a first `mkfs.xfs`
    /// takes a few hundred milliseconds.
    package func hold(need: UInt64) -> Hold? {
        guard Self.unavailable == nil else { return nil }
        do {
            try PrivateDirectory.ensure((folder as NSString).deletingLastPathComponent, what: "the run root")
            try PrivateDirectory.ensure(folder, what: "the folder of the reflink image")
        } catch {
            return nil
        }
        guard let setup = Self.lock(folder + "/setup.lock", LOCK_EX) else { return nil }
        defer { close(setup) }
        guard ensureMounted(need: need), ensureRoom(need) else { return nil }
        guard let use = Self.lock(folder + "/use.lock", LOCK_SH) else { return nil }
        return Hold(lock: use, mountPoint: mountPoint)
    }

    /// Unmounts and deletes the image when no run holds it (`testbed gc`); returns the
    /// folder it removed, or nil (nothing there, or a run holds it).
    package func tearDownIfUnused() -> String? {
        var info = stat()
        guard lstat(folder, &info) == 0, (try? PrivateDirectory.verify(folder, what: "the folder of the reflink image")) != nil,
              let setup = Self.lock(folder + "/setup.lock", LOCK_EX) else { return nil }
        defer { close(setup) }
        guard let use = Self.lock(folder + "/use.lock", LOCK_EX | LOCK_NB) else { return nil }
        defer { close(use) }
        if isMounted {
            guard Self.run("umount", [mountPoint]) || Self.run("umount", ["-l", mountPoint]) else { return nil }
        }
        // `mount -o loop` set the device to clear itself once unmounted.
        unlink(image)
        rmdir(mountPoint)
        return folder
    }

    /// True when an XFS file system is mounted at ``mountPoint`` (the probe clones a file there).
    var isMounted: Bool {
        var top = stat(), point = stat()
        guard lstat(folder, &top) == 0, lstat(mountPoint, &point) == 0, point.st_mode & S_IFMT == S_IFDIR else { return false }
        return top.st_dev != point.st_dev && ReflinkProbe.sharesExtents(from: mountPoint, to: mountPoint)
    }

    /// Makes and mounts the image unless mounted; with the setup lock held.
    private func ensureMounted(need: UInt64) -> Bool {
        if isMounted { return true }
        unlink(image)  // left by a make that died before its mount
        let size = Self.rounded(max(2 << 30, need * 2))
        guard Self.tmpfsRoom(folder) ?? 0 > need + (64 << 20) else { return false }
        let file = open(image, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard file >= 0 else { return false }
        let sized = ftruncate(file, off_t(size)) == 0
        close(file)
        if mkdir(mountPoint, 0o700) != 0 && errno != EEXIST { return false }
        var info = stat()
        guard sized, lstat(mountPoint, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid(),
              Self.run("mkfs.xfs", ["-q", "-f", "-m", "reflink=1", image]),
              Self.run("mount", ["-t", "xfs", "-o", "loop,discard,nosuid,nodev,noatime", image, mountPoint]) else {
            unlink(image)
            return false
        }
        chmod(mountPoint, 0o700)
        // Small copy-on-write extents: an update of a few rows copies kilobytes, not megabytes.
        _ = Self.run("xfs_io", ["-c", "cowextsize 65536", mountPoint])
        return isMounted
    }

    /// Grows the image when fewer than `need` bytes are free in it and tmpfs has the room.
    private func ensureRoom(_ need: UInt64) -> Bool {
        var inside = statvfs()
        guard statvfs(mountPoint, &inside) == 0 else { return false }
        let free = UInt64(inside.f_bavail) * UInt64(inside.f_frsize)
        if free >= need + (64 << 20) { return true }
        guard Self.tmpfsRoom(folder) ?? 0 > need + (64 << 20) else { return false }
        var info = stat()
        guard lstat(image, &info) == 0, let device = loopDevice() else { return false }
        let size = Self.rounded(UInt64(info.st_size) + need * 2)
        let file = open(image, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
        guard file >= 0 else { return false }
        defer { close(file) }
        return ftruncate(file, off_t(size)) == 0 && Self.run("losetup", ["-c", device])
            && Self.run("xfs_growfs", ["-d", mountPoint])
    }

    /// The loop device mounted at ``mountPoint``, from `/proc/self/mountinfo`.
    private func loopDevice() -> String? {
        guard let table = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 4, fields[4] == mountPoint, let dash = fields.firstIndex(of: "-"), dash + 2 < fields.count else { continue }
            let source = String(fields[dash + 2])
            if source.hasPrefix("/dev/loop") { return source }
        }
        return nil
    }

    /// Bytes free in the tmpfs that holds `path`.
    private static func tmpfsRoom(_ path: String) -> UInt64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    private static func rounded(_ bytes: UInt64) -> UInt64 { (bytes + (256 << 20) - 1) / (256 << 20) * (256 << 20) }

    /// Opens (creating) the lock file `path` and takes `operation` on it; nil when it cannot.
    private static func lock(_ path: String, _ operation: Int32) -> Int32? {
        let lock = open(path, O_CREAT | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard lock >= 0 else { return nil }
        while flock(lock, operation) != 0 {
            if errno == EINTR { continue }
            close(lock)
            return nil
        }
        return lock
    }

    /// Runs the tool `name` (found by absolute path) with `arguments`; true when it exits 0.
    @discardableResult
    static func run(_ name: String, _ arguments: [String]) -> Bool {
        guard let path = tool(name) else { return false }
        return ShortCommand.run([path] + arguments, environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"]).status == 0
    }
}
