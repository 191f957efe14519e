import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The room a cluster needs, checked before a copy starts: a copy that would fill the
/// file system fails at once with both sizes and the fix, instead of halfway with
/// `ENOSPC` and hundreds of megabytes to delete.
package enum FreeSpace {
    /// Bytes an unprivileged writer may still use on the file system of `path`; nil when unknown.
    package static func available(at path: String) -> UInt64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    /// Margin over the file contents: folders and the last partial page of each file
    /// (5%), plus `extra` (for a whole cluster: the first WAL the server writes).
    static func withMargin(_ bytes: UInt64, extra: UInt64) -> UInt64 { bytes + bytes / 20 + extra }

    /// Throws `.diskFull` naming both sizes when `need` bytes (plus the margin) do not fit at `path`.
    static func check(need: UInt64, extra: UInt64 = 16 << 20, at path: String, for what: String) throws(PostgresError) {
        let needed = withMargin(need, extra: extra)
        guard let free = available(at: path), free < needed else { return }
        throw PostgresError(
            code: .diskFull,
            message: "not enough room in \(path) for \(what): it needs \(megabytes(needed)) MB, \(megabytes(free)) MB are free",
            hint: "give the run root more room (Docker: --shm-size=\(suggestedSize(needed)); "
                + "GitLab's docker executor: shm_size in config.toml), or set TESTBED_RUN_ROOT to a folder "
                + "on a file system with room (e.g. /var/tmp/testbed)")
    }

    package static func megabytes(_ bytes: UInt64) -> UInt64 { (bytes + (1 << 20) - 1) >> 20 }

    /// A `--shm-size` value with room for the run: the need rounded up to 256 MB steps, doubled.
    package static func suggestedSize(_ bytes: UInt64) -> String {
        let steps = (megabytes(bytes) * 2 + 255) / 256
        return "\(steps * 256)m"
    }
}
