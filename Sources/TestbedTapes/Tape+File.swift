import Foundation
import TestbedSystem

extension Tape {
    /// Reads a Testbed tape, or a VCR.py cassette (YAML, as vcrpy and pytest-recording write
    /// it), told apart by content: a tape is a JSON object, a cassette a YAML mapping with
    /// `interactions:`.
    ///
    /// Throws ``TapeError`` naming the file and, for a malformed or invalid file, the line;
    /// ``TapeError/Code/newerVersion`` for a tape written in a newer format.
    public static func load(from url: URL) throws(TapeError) -> Tape {
        let file = url.path
        let bytes = try contents(of: file)
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        let first = bytes[start...].first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        if first == UInt8(ascii: "{"), !isJSONCassette(bytes) {
            return try TapeFileReader(file: file).read(bytes)
        }
        guard first != nil else { throw TapeError(.malformed, file: file, "the file is empty") }
        return try VCRCassetteReader(file: file).read(bytes)
    }

    /// The file's bytes, read straight into the array the readers scan: a large tape is not
    /// copied on the way (through a `Data`). The file is opened through its folder's
    /// descriptor (``TapeFolder``), non-blocking, and must be a regular file: a FIFO or a
    /// device in its place is refused at once instead of hanging the run in `open`.
    private static func contents(of file: String) throws(TapeError) -> [UInt8] {
        func unreadable(_ code: Int32) -> TapeError {
            TapeError(.unreadable, file: file, code == ENOENT
                ? "no such file (record the tape first, with mode record or record_missing)"
                : "cannot be read: \(errnoText(code))")
        }
        let folder = try TapeFolder.open(file, create: false, followLast: true)
        let descriptor = openat(folder.descriptor, folder.name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw unreadable(errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw unreadable(errno) }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw TapeError(.unreadable, file: file, "is not a regular file (\(kind(of: status.st_mode))); a tape is a "
                            + "regular file: remove what is there, and record the tape again")
        }
        // One read of the size fstat gives (plus one byte, to see the end); more if the file grew.
        var bytes: [UInt8] = []
        let chunk = max(Int(status.st_size), 4096) + 1
        while true {
            var failure: Int32 = 0
            let piece = [UInt8](unsafeUninitializedCapacity: chunk) { buffer, count in
                count = 0
                while count < chunk {
                    let got = read(descriptor, buffer.baseAddress! + count, chunk - count)
                    if got > 0 {
                        count += got
                    } else if got == 0 {
                        break
                    } else if errno != EINTR {
                        failure = errno
                        break
                    }
                }
            }
            guard failure == 0 else { throw unreadable(failure) }
            if bytes.isEmpty { bytes = piece } else { bytes += piece }
            if piece.count < chunk { return bytes }
        }
    }

    /// What a file that is not a regular one is, in words.
    private static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO"
        case S_IFDIR: return "a folder"
        case S_IFCHR, S_IFBLK: return "a device"
        case S_IFSOCK: return "a socket"
        default: return "mode \(String(mode, radix: 8))"
        }
    }

    /// True for a cassette that vcrpy wrote with its JSON serializer: `"interactions"` and no
    /// `"testbed_tape"` near the top (a Testbed tape names its version on its second line).
    private static func isJSONCassette(_ bytes: [UInt8]) -> Bool {
        let head = bytes.prefix(4096)
        func contains(_ word: String) -> Bool {
            let needle = Array(word.utf8)
            guard head.count >= needle.count else { return false }
            return (head.startIndex...(head.endIndex - needle.count)).contains { start in
                head[start..<start + needle.count].elementsEqual(needle)
            }
        }
        return !contains("\"testbed_tape\"") && contains("\"interactions\"")
    }

    /// Writes the tape in Testbed's format (docs/tapes.md), atomically: the text goes to a
    /// new temporary file in the same folder (created with `O_EXCL | O_NOFOLLOW` relative to
    /// the folder's descriptor), which is flushed to disk and then renamed over `url`. A crash
    /// or an error on the way never leaves a half-written tape in place of a good one.
    ///
    /// The file is mode 0600 (only this account reads it: a tape may hold what redaction
    /// missed), or 0644 with `shared`; the umask may only narrow either. Throws
    /// ``TapeError/Code/unwritable`` when the folder is missing or the disk refuses,
    /// ``TapeError/Code/unsafePath`` when a folder on the way could be changed by another
    /// account (docs/security.md).
    public func write(to url: URL, shared: Bool = false) throws(TapeError) {
        try AtomicTapeFile(url: url, permissions: shared ? 0o644 : 0o600).write(TapeFileWriter.bytes(of: self))
    }
}
