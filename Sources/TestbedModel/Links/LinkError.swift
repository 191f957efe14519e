import TestbedSystem
/// A link or fault request that cannot be carried out: an unknown link or fault, a bad
/// attribute, an address that cannot be bound.
///
/// The message names what was asked (the link, the fault, the attribute and its allowed
/// range) so that a manifest reader, the CLI and the Toxiproxy endpoint can hand it on as is.
public struct LinkError: TestbedError, Hashable {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code's short name, e.g. `unknown link`.
        public let description: String
        private init(_ description: String) { self.description = description }

        /// No link has that name.
        package static let unknownLink = Code("unknown link")
        /// The link has no fault of that name.
        package static let unknownFault = Code("unknown fault")
        /// A link or a fault of that name exists already.
        package static let duplicate = Code("duplicate")
        /// A fault's type, attribute, stream or toxicity is not valid.
        package static let invalidFault = Code("invalid fault")
        /// A listen or upstream address is malformed or not allowed (listen must be loopback).
        package static let invalidAddress = Code("invalid address")
        /// A link name is empty or has characters other than letters, digits, '_', '-' and '.'.
        package static let invalidName = Code("invalid name")
        /// The listen address cannot be bound (in use, no permission).
        package static let bind = Code("bind")
        /// An HTTP link's tape is missing (replay), cannot be read or cannot be written.
        package static let tape = Code("tape")
        /// At teardown, an HTTP link's tape failed the run: a strict tape saw a request it had
        /// no answer for or kept a recorded exchange unused, or the tape could not be written.
        public static let tapeFailed = Code("tape failed")
    }

    /// What kind of failure this is.
    package var code: Code
    /// What went wrong and what is allowed, written for the user.
    public var message: String

    /// Makes an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
