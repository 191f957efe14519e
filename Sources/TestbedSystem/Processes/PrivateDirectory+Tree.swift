import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension PrivateDirectory {
    /// The marker a private tree gets once walked: `NAME/.private`.
    static let privateMarker = ".private"

    /// Makes the tree at `path` (a folder of this account) private: every folder `0700`
    /// and every file `0600` at most below it, unless it already carries the marker
    /// `.private` (then nothing is walked: one `lstat`).
    ///
    /// For a cache made by an older Testbed (folders `0755`, packs `0644`): a run that only
    /// reads it must close it too. Nothing is followed (each folder is opened from its
    /// parent's descriptor with `O_NOFOLLOW`, modes are set with `fchmod` on each entry's own
    /// descriptor); entries of other accounts and links are left alone. Failures are ignored:
    /// the marker is written only after a walk that changed everything it had to.
    package static func makeTreePrivate(_ path: String) {
        var info = stat()
        let marker = path + "/" + privateMarker
        if lstat(marker, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_uid == geteuid() { return }
        let top = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard top >= 0 else { return }
        defer { close(top) }
        guard fstat(top, &info) == 0, info.st_uid == geteuid() else { return }
        var complete = fchmod(top, info.st_mode & 0o7700) == 0
        complete = closeEntries(in: top, depth: 0) && complete
        guard complete else { return }
        let file = openat(top, privateMarker, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if file >= 0 { close(file) }
    }

    /// Takes group and other permissions away from every entry below the folder `folder`.
    private static func closeEntries(in folder: Int32, depth: Int) -> Bool {
        guard depth < 16 else { return false }
        var complete = true
        for name in DirectoryEntries.names(in: folder) {
            var info = stat()
            guard fstatat(folder, name, &info, AT_SYMLINK_NOFOLLOW) == 0, info.st_uid == geteuid() else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                let child = openat(folder, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard child >= 0 else { complete = false; continue }
                if info.st_mode & 0o077 != 0 && fchmod(child, info.st_mode & 0o7700) != 0 { complete = false }
                complete = closeEntries(in: child, depth: depth + 1) && complete
                close(child)
            case S_IFREG:
                guard info.st_mode & 0o077 != 0 else { continue }
                // On a descriptor: fchmodat would follow a link swapped in meanwhile.
                let file = openat(folder, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
                guard file >= 0 else { complete = false; continue }
                var opened = stat()
                if fstat(file, &opened) != 0 || opened.st_mode & S_IFMT != S_IFREG || fchmod(file, opened.st_mode & 0o700) != 0 {
                    complete = false
                }
                close(file)
            default:
                continue
            }
        }
        return complete
    }
}
