import Foundation

extension Tape {
    /// Reads a Testbed tape, or a VCR.py cassette (YAML, as vcrpy and pytest-recording write
    /// it), told apart by content: a tape is a JSON object, a cassette a YAML mapping with
    /// `interactions:`.
    ///
    /// Throws ``TapeError`` naming the file and, for a malformed or invalid file, the line;
    /// ``TapeError/Code/newerVersion`` for a tape written in a newer format.
    public static func load(from url: URL) throws(TapeError) -> Tape {
        let file = url.path
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: url))
        } catch {
            let reason = (error as NSError).code == NSFileReadNoSuchFileError
                ? "no such file (record the tape first, with mode record or record_missing)"
                : "cannot be read: \(error.localizedDescription)"
            throw TapeError(.unreadable, file: file, reason)
        }
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        let first = bytes[start...].first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        if first == UInt8(ascii: "{"), !isJSONCassette(bytes) {
            return try TapeFileReader(file: file).read(bytes)
        }
        guard first != nil else { throw TapeError(.malformed, file: file, "the file is empty") }
        return try VCRCassetteReader(file: file).read(bytes)
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
    /// new temporary file in the same folder (created with `O_EXCL | O_NOFOLLOW`, mode 0644),
    /// which is flushed to disk and then renamed over `url`. A crash or an error on the way
    /// never leaves a half-written tape in place of a good one.
    ///
    /// Throws ``TapeError/Code/unwritable`` when the folder is missing or the disk refuses.
    public func write(to url: URL) throws(TapeError) {
        try AtomicTapeFile(url: url).write(TapeFileWriter.bytes(of: self))
    }
}
