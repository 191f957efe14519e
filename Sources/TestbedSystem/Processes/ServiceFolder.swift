import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A service's own folder in a run directory, made ready before its process starts: files
/// written into it and, for a service that runs as another account, given to that account.
///
/// The folder is created 0700 by this account and the files are written while only this
/// account can write there: each is created with `O_CREAT | O_EXCL | O_NOFOLLOW` relative to
/// the folder's descriptor, and its mode and owner are set on the open descriptor
/// (`fchmod`, `fchown`), so no path another account controls is ever followed. Only then is
/// the folder itself given to the account, which may write in it from then on (pid files,
/// temporary files); Testbed never opens anything in it again, and removes it with
/// ``PrivateDirectory/removeTree(_:)``, which follows no link.
package enum ServiceFolder {
    /// Creates `path` with `files` (name, text, mode) in it, owned by `owner` when given, and
    /// lets `owner` reach it (see ``grantReach(_:to:)``). Throws ``ServiceProcessError``.
    package static func prepare(_ path: String, files: [(name: String, contents: String, mode: UInt16)],
                               owner: UnixUser?) throws(ServiceProcessError) {
        do {
            try PrivateDirectory.makeFolder(path)
        } catch {
            throw ServiceProcessError(message: error.description)
        }
        let folder = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard folder >= 0 else { throw failure("cannot open \(path)") }
        defer { close(folder) }
        for file in files {
            let fd = openat(folder, file.name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw failure("cannot create \(path)/\(file.name)") }
            defer { close(fd) }
            let bytes = Array(file.contents.utf8)
            var written = 0
            while written < bytes.count {
                let count = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { throw failure("cannot write \(path)/\(file.name)") }
                written += count
            }
            if let owner, fchown(fd, owner.uid, owner.gid) != 0 { throw failure("cannot give \(path)/\(file.name) to \(owner.name)") }
            guard fchmod(fd, mode_t(file.mode)) == 0 else { throw failure("cannot set the mode of \(path)/\(file.name)") }
        }
        guard let owner else { return }
        guard fchown(folder, owner.uid, owner.gid) == 0 else { throw failure("cannot give \(path) to \(owner.name)") }
        try grantReach(path, to: owner)
    }

    /// Lets `user` reach `directory`: the three nearest ancestors (`RUN_DIR/services`,
    /// `RUN_DIR`, the run root — private folders of this account) get an ACL entry
    /// `user:UID:--x` when they are not searchable by it; folders further up are never
    /// changed and must already be searchable. Throws ``ServiceProcessError`` naming the
    /// folder that stops it.
    package static func grantReach(_ directory: String, to user: UnixUser) throws(ServiceProcessError) {
        if let path = PrivateDirectory.firstUnreachableAncestor(of: directory, for: user, grantingLevels: 3) {
            throw ServiceProcessError(message: "user '\(user.name)' cannot reach \(directory): \(path) is not searchable by it; "
                + "use a run root on a file system with POSIX ACLs (tmpfs, ext4), or make \(path) searchable (chmod o+x \(path))")
        }
    }

    private static func failure(_ what: String) -> ServiceProcessError {
        ServiceProcessError(message: "\(what): \(String(cString: strerror(errno)))")
    }
}
