#if canImport(Glibc)
import Glibc
#endif

/// Finds out whether files in one folder can be cloned by reflink into another: both on
/// one file system that shares extents (btrfs, XFS made with `reflink=1`, bcachefs).
///
/// The probe is real, not a guess from the file system's name: an unnamed file
/// (`O_TMPFILE`, so a crash leaves nothing) is written in each folder and the second is
/// made a clone of the first (`FICLONE`). It costs a few system calls, so it is not
/// remembered: a mount that comes or goes is seen at the next call.
package enum ReflinkProbe {
    /// `O_TMPFILE` from `<fcntl.h>` (`__O_TMPFILE | O_DIRECTORY`).
    static let temporaryFile: Int32 = 0o20_000_000 | O_DIRECTORY

    /// True when a file of `source` clones by reflink into `destination`. Both must be
    /// folders the caller owns; false when either is missing or refuses an unnamed file.
    package static func sharesExtents(from source: String, to destination: String) -> Bool {
        let input = open(source, temporaryFile | O_RDWR | O_CLOEXEC, 0o600)
        guard input >= 0 else { return false }
        defer { close(input) }
        let output = open(destination, temporaryFile | O_RDWR | O_CLOEXEC, 0o600)
        guard output >= 0 else { return false }
        defer { close(output) }
        let block = [UInt8](repeating: 0x5a, count: 4096)
        guard block.withUnsafeBytes({ write(input, $0.baseAddress, $0.count) }) == block.count else { return false }
        return ioctl(output, FileClone.ficlone, input) == 0
    }
}
