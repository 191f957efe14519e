import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Folders that only this account may change: where Testbed keeps what it later trusts —
/// the lists the watchdog acts on, name locks, state files, run directories.
///
/// Testbed often runs as root on machines shared with other users. A folder it trusts must
/// be a real directory (not a symlink), owned by this account, with no write permission for
/// group or others, below parents that nobody else can rename it out of (each owned by root
/// or this account and not writable by others, or sticky like /tmp and /dev/shm). Anything
/// else could have been made by another user to have Testbed delete, signal or write what
/// that user chooses, so it is refused, never repaired.
///
/// Linux only. The server account (PostgreSQL's, as root) reaches its own folder below
/// private ones through ``grantSearch(_:to:)``: a POSIX ACL entry `user:UID:--x`, search
/// without listing, for that account alone.
package enum PrivateDirectory {
    /// Creates `path` mode 0700 when missing, then checks that it can be trusted (see the type).
    ///
    /// A directory that group or others may read (made by an older Testbed, 0755) loses those
    /// read bits. Throws ``PathTrustError`` naming the path and what to do.
    package static func ensure(_ path: String, what: String) throws(PathTrustError) {
        try checkParents(of: path, what: what)
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw PathTrustError(.system, path: path, "cannot create \(what) \(path): \(errnoText())",
                                 hint: "create it yourself (mkdir -m 700 \(path)) or choose another folder")
        }
        try verify(path, what: what)
    }

    /// Checks that the existing `path` can be trusted, without creating anything.
    package static func verify(_ path: String, what: String) throws(PathTrustError) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw PathTrustError(.system, path: path, "cannot inspect \(what) \(path): \(errnoText())",
                                 hint: "create it (mkdir -m 700 \(path)) or choose another folder")
        }
        if info.st_mode & S_IFMT == S_IFLNK {
            throw PathTrustError(.symlink, path: path, "refusing \(what) \(path): it is a symbolic link, not a directory "
                + "(someone may have planted it to redirect Testbed's files)",
                hint: "remove it (rm \(path)) or choose another folder")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw PathTrustError(.notADirectory, path: path, "refusing \(what) \(path): it is not a directory",
                                 hint: "remove it or choose another folder")
        }
        guard info.st_uid == geteuid() else {
            throw PathTrustError(.foreignOwner, path: path,
                "refusing \(what) \(path): it is owned by uid \(info.st_uid), not by you (uid \(geteuid())); "
                + "another user may have created it to take over your runs",
                hint: "remove it if you know where it comes from (rm -rf \(path)), or point TESTBED_RUN_ROOT at a folder of your own")
        }
        // Checked again on a descriptor: the path may have been swapped since lstat.
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            throw PathTrustError(.system, path: path, "cannot open \(what) \(path): \(errnoText())", hint: nil)
        }
        defer { close(fd) }
        var opened = stat()
        guard fstat(fd, &opened) == 0, opened.st_dev == info.st_dev, opened.st_ino == info.st_ino else {
            throw PathTrustError(.system, path: path, "\(what) \(path) changed while it was checked", hint: "try again")
        }
        info = opened
        let mode = info.st_mode & 0o7777
        guard mode & 0o022 == 0 else {
            throw PathTrustError(.writableByOthers, path: path,
                "refusing \(what) \(path): its mode \(String(mode, radix: 8)) lets other users change what is in it",
                hint: "make it private (chmod 700 \(path)) or use another folder")
        }
        if mode & 0o044 != 0 { _ = fchmod(fd, mode & ~0o044) }
    }

    /// Checks every parent of `path`: owned by root or this account and not writable by
    /// others, or sticky (others may create entries there but never rename or delete ours).
    static func checkParents(of path: String, what: String) throws(PathTrustError) {
        let parent = (path as NSString).deletingLastPathComponent
        guard let resolved = realpath(parent.isEmpty ? "." : parent, nil) else {
            throw PathTrustError(.system, path: path, "cannot create \(what) \(path): \(parent): \(errnoText())",
                                 hint: "create the folder \(parent) first")
        }
        var current = String(cString: resolved)
        free(resolved)
        while true {
            var info = stat()
            if lstat(current, &info) == 0 {
                let owner = info.st_uid
                let writable = info.st_mode & 0o022 != 0
                let sticky = info.st_mode & S_ISVTX != 0
                if (owner != 0 && owner != geteuid()) || (writable && !sticky) {
                    throw PathTrustError(.unsafeParent, path: path,
                        "refusing \(what) \(path): its parent \(current) can be changed by another user "
                        + "(owner uid \(owner), mode \(String(info.st_mode & 0o7777, radix: 8)))",
                        hint: "choose a folder whose parents only you or root can change")
                }
            }
            if current == "/" || current.isEmpty { return }
            current = (current as NSString).deletingLastPathComponent
        }
    }

    /// Creates `path` (a folder inside a trusted one) mode 0700, or checks that the existing one
    /// is a real directory of this account. Throws ``PathTrustError``.
    package static func makeFolder(_ path: String) throws(PathTrustError) {
        if mkdir(path, 0o700) == 0 { return }
        guard errno == EEXIST else {
            throw PathTrustError(.system, path: path, "cannot create \(path): \(errnoText())", hint: nil)
        }
        try verify(path, what: "the folder")
    }

    /// Creates `path` and its missing parents mode 0700 (like `mkdir -p`), and takes every
    /// permission of group and others away from the last `privateLevels` components that this
    /// account owns (a cache made world-readable by an older Testbed becomes private).
    package static func makePath(_ path: String, privateLevels: Int = 1) throws(PathTrustError) {
        var components: [String] = []
        var current = path
        while !current.isEmpty && current != "/" {
            components.insert(current, at: 0)
            current = (current as NSString).deletingLastPathComponent
        }
        for component in components where mkdir(component, 0o700) != 0 && errno != EEXIST {
            throw PathTrustError(.system, path: component, "cannot create \(component): \(errnoText())",
                                 hint: "create it yourself, or set another folder")
        }
        for component in components.suffix(privateLevels) {
            var info = stat()
            guard lstat(component, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid(),
                  info.st_mode & 0o077 != 0 else { continue }
            _ = chmod(component, info.st_mode & 0o7700)
        }
    }

    /// True when `path` is absolute, has no `.` or `..` part, is a real directory (not a
    /// symlink), and its parent is a directory of this account that others cannot write:
    /// the test before deleting a run directory read from a list.
    package static func isOwnChild(_ path: String) -> Bool {
        guard path.hasPrefix("/"), !path.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }) else { return false }
        var info = stat(), parentInfo = stat()
        let parent = (path as NSString).deletingLastPathComponent
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR,
              lstat(parent, &parentInfo) == 0, parentInfo.st_mode & S_IFMT == S_IFDIR,
              parentInfo.st_uid == geteuid(), parentInfo.st_mode & 0o022 == 0 else { return false }
        return true
    }

    /// Deletes `path` and everything below it without ever following a symbolic link: each
    /// folder is opened relative to its parent's descriptor (`openat` with `O_NOFOLLOW`) and
    /// emptied with `unlinkat`, so an account that owns a folder inside (PostgreSQL's) cannot
    /// redirect the deletion elsewhere by swapping a folder for a symlink while it runs.
    package static func removeTree(_ path: String) {
        let parent = (path as NSString).deletingLastPathComponent
        let fd = open(parent.isEmpty ? "." : parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        removeEntry((path as NSString).lastPathComponent, in: fd, depth: 0)
    }

    private static func removeEntry(_ name: String, in parent: Int32, depth: Int) {
        if unlinkat(parent, name, 0) == 0 || errno == ENOENT { return }  // a file, a symlink, gone
        guard depth < 64 else { return }
        let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0, let folder = fdopendir(fd) else { return }
        defer { closedir(folder) }
        for _ in 0..<8 {  // entries created meanwhile are caught by another pass
            var names: [String] = []
            rewinddir(folder)
            while let entry = readdir(folder) {
                let entryName = withUnsafePointer(to: &entry.pointee.d_name) {
                    String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
                }
                if entryName != "." && entryName != ".." { names.append(entryName) }
            }
            if names.isEmpty { break }
            for entryName in names { removeEntry(entryName, in: dirfd(folder), depth: depth + 1) }
        }
        _ = unlinkat(parent, name, AT_REMOVEDIR)
    }
}
