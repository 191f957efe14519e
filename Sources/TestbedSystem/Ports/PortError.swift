/// A port could not be reserved.
package struct PortError: TestbedError {
    /// What kind of failure this is.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code's short name, e.g. `in use`.
        public let description: String
        private init(_ description: String) { self.description = description }

        /// The port is held by another Testbed run or bound by another process.
        package static let inUse = Code("in use")
        /// The number is not a TCP port.
        package static let invalidPort = Code("invalid port")
        /// No candidate was free: each was bound by another process or reserved by another run.
        package static let exhausted = Code("exhausted")
        /// A system call failed (lock directory, socket).
        package static let system = Code("system")
    }

    /// What kind of failure this is.
    package var code: Code
    /// The port concerned, when there is one.
    package var port: Int?
    /// What went wrong, written for the user.
    package var message: String

    /// Makes an error about `port` (nil when no single port is concerned).
    package init(_ code: Code, port: Int?, _ message: String) {
        self.code = code
        self.port = port
        self.message = message
    }
}
