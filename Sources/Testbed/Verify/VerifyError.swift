import TestbedSystem
/// A verification that cannot be carried out: a provider address that is not an http(s)
/// URL, an `--ignore` path that cannot be read, a service that has no URL.
///
/// A broken contract is not an error: it is a ``VerifyReport`` whose ``VerifyReport/broken`` is true.
public struct VerifyError: TestbedError, Hashable {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code's short name, e.g. `invalid provider`.
        public let description: String
        private init(_ description: String) { self.description = description }

        /// `--against` is neither an http(s) URL nor a service of the manifest, or that service has no URL.
        package static let invalidProvider = Code("invalid provider")
        /// A JSON path to ignore cannot be read.
        package static let invalidPath = Code("invalid path")
        /// A `--header` is not `Name: value`.
        package static let invalidHeader = Code("invalid header")
        /// The tape cannot be read.
        package static let tape = Code("tape")
    }

    /// What kind of failure this is.
    package var code: Code
    /// What went wrong and what to do, written for the user.
    public var message: String

    /// Makes an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
