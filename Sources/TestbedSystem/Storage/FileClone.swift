#if canImport(Glibc)
import Glibc
#endif

/// Copies one open file into another, by the strongest means the file systems allow:
/// a reflink (`FICLONE`), else `copy_file_range`, else `sendfile`, else `read`/`write`.
///
/// The caller opens both files (with `O_NOFOLLOW` where another account could plant a
/// link; see `ClusterFiles`): this type never resolves a path. `output` must be empty.
package enum FileClone {
    /// `FICLONE` from `<linux/fs.h>`: `_IOW(0x94, 9, int)`.
    static let ficlone: UInt = 0x4004_9409

    private typealias CopyFileRange = @convention(c) (Int32, UnsafeMutablePointer<off_t>?, Int32, UnsafeMutablePointer<off_t>?,
                                                      Int, UInt32) -> Int
    /// glibc's `copy_file_range`, which Swift's Glibc module does not export; nil on a libc without it.
    private static let copyFileRange: CopyFileRange? = dlsym(nil, "copy_file_range").map { unsafeBitCast($0, to: CopyFileRange.self) }

    /// Copies the `size` bytes of `input` into the empty `output`, trying no method stronger
    /// than `best`, and returns the method that did it.
    ///
    /// A method the file systems refuse (`EXDEV`, `EOPNOTSUPP`, `EINVAL`, `ENOSYS`, `ENOTTY`)
    /// gives way to the next, silently. Throws ``FileCloneError`` with the `errno` of a
    /// failure no weaker method can avoid (`ENOSPC`, `EIO`).
    package static func copy(from input: Int32, to output: Int32, size: Int,
                             best: CloneMethod = .reflink) throws(FileCloneError) -> CloneMethod {
        if size == 0 { return best }
        if best == .reflink {
            if ioctl(output, ficlone, input) == 0 { return .reflink }
            guard refused(errno) else { throw FileCloneError(code: errno, step: "FICLONE") }
        }
        var done = 0
        if best >= .copyFileRange, let copyFileRange = Self.copyFileRange {
            var inOffset = off_t(0)
            var outOffset = off_t(0)
            while done < size {
                let count = copyFileRange(input, &inOffset, output, &outOffset, size - done, 0)
                if count > 0 { done += count; continue }
                if count == 0 { break }
                if errno == EINTR { continue }
                guard refused(errno), done == 0 else { throw FileCloneError(code: errno, step: "copy_file_range") }
                break
            }
            if done >= size { return .copyFileRange }
            if done > 0 { throw FileCloneError(code: EIO, step: "copy_file_range (the source got shorter)") }
        }
        try plainCopy(input, output, size: size)
        return .copy
    }

    /// True for the errors that mean "not here", not "failed".
    static func refused(_ code: Int32) -> Bool {
        code == EXDEV || code == EOPNOTSUPP || code == EINVAL || code == ENOSYS || code == ENOTTY || code == EBADF
            || code == EPERM || code == ETXTBSY
    }

    /// `sendfile` from offset 0, falling back to `read`/`write` where the kernel refuses.
    private static func plainCopy(_ input: Int32, _ output: Int32, size: Int) throws(FileCloneError) {
        var offset = off_t(0)
        var remaining = size
        var useSendfile = true
        lseek(output, 0, SEEK_SET)
        while remaining > 0 {
            if useSendfile {
                let copied = sendfile(output, input, &offset, remaining)
                if copied > 0 { remaining -= copied; continue }
                if copied == 0 { return }
                if errno == EINTR { continue }
                guard refused(errno) else { throw FileCloneError(code: errno, step: "sendfile") }
                useSendfile = false
            }
            var buffer = [UInt8](repeating: 0, count: min(remaining, 1 << 20))
            let count = buffer.withUnsafeMutableBytes { pread(input, $0.baseAddress, $0.count, offset) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw FileCloneError(code: errno, step: "read") }
            guard count > 0 else { return }
            var written = 0
            while written < count {
                let result = buffer.withUnsafeBytes { pwrite(output, $0.baseAddress! + written, count - written, offset + off_t(written)) }
                if result < 0 && errno == EINTR { continue }
                guard result > 0 else { throw FileCloneError(code: errno, step: "write") }
                written += result
            }
            offset += off_t(count)
            remaining -= count
        }
    }
}

/// A copy that failed for a reason no weaker method avoids: the `errno` and the call.
package struct FileCloneError: Error, Sendable, CustomStringConvertible {
    /// The `errno` of the failed call (`ENOSPC` when the file system is full).
    package var code: Int32
    /// The system call that failed.
    package var step: String

    package var description: String { "\(step): \(errnoText(code))" }
}
