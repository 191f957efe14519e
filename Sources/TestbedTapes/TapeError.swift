import TestbedSystem
/// A tape that cannot be read or written: which file, where in it, and why.
///
/// Thrown by ``Tape/load(from:)`` and `Tape.write(to:shared:)`. The description is
/// `FILE:LINE: MESSAGE` (or `FILE: MESSAGE` when the problem is not at one line), so the
/// CLI and a link's run report can print it as is.
public struct TapeError: TestbedError, Hashable {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code's short name, e.g. `malformed tape`.
        public let description: String
        private init(_ description: String) { self.description = description }

        /// The file is not valid JSON or YAML (a syntax error, a truncated file).
        package static let malformed = Code("malformed tape")
        /// The file parses but does not have the shape of a tape or a VCR.py cassette.
        package static let invalid = Code("invalid tape")
        /// The file was written by a newer Testbed, in a format version this build does not know.
        package static let newerVersion = Code("newer tape format")
        /// The file cannot be opened or read.
        package static let unreadable = Code("unreadable tape")
        /// The tape cannot be written (the folder is missing or not writable, the disk is full).
        package static let unwritable = Code("unwritable tape")
        /// The tape's path goes through a folder or a link that another account could change
        /// (to redirect what Testbed reads or writes), so it is refused.
        package static let unsafePath = Code("unsafe tape path")
    }

    /// What kind of failure this is.
    package var code: Code
    /// The tape file, as given.
    package var file: String
    /// 1-based line of the problem; nil when it is not about one place in the file.
    package var line: Int?
    /// What is wrong and what to do about it, written for the user.
    public var message: String

    /// Makes an error about `file`, at `line` when it is about one place.
    public init(_ code: Code, file: String, line: Int? = nil, _ message: String) {
        self.code = code
        self.file = file
        self.line = line
        self.message = message
    }

    /// `FILE:LINE: MESSAGE`, or `FILE: MESSAGE` without a line.
    public var description: String {
        line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)"
    }
}
