/// Why a ``PlainHTTPClient`` request (or connect) got no answer.
///
/// An answer of any status is not an error: callers read ``PlainHTTPResponse/status``.
/// `message` names the endpoint and is written for the user; callers that speak of a URL or
/// a request of their own word it their way from `code` and the fields.
package struct PlainHTTPError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; compare with `==`.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code's short name, e.g. `timed out`.
        package let description: String
        private init(_ description: String) { self.description = description }

        /// The host name does not resolve.
        static let cannotResolve = Code("cannot resolve")
        /// The connection was refused: nothing listens on the port.
        package static let refused = Code("refused")
        /// The connection failed otherwise (unreachable, reset while connecting); see `errno`.
        package static let cannotConnect = Code("cannot connect")
        /// The connection was not made within the timeout.
        package static let connectTimedOut = Code("connect timed out")
        /// Connected, but the answer was not complete within the timeout.
        package static let timedOut = Code("timed out")
        /// The server closed the connection before a complete answer; see `received`.
        package static let closed = Code("closed")
        /// What came back is not HTTP/1.x; see `firstLine`.
        package static let notHTTP = Code("not HTTP")
        /// Sending or reading failed after the connection was made (a reset); see `errno`.
        static let failed = Code("failed")
        /// The answer's body is larger than the caller allows.
        package static let tooLarge = Code("too large")
        /// The calling task was cancelled.
        package static let cancelled = Code("cancelled")
    }

    /// What kind of failure this is.
    package var code: Code
    /// Where the request went.
    package var endpoint: PlainHTTPEndpoint
    /// What went wrong, naming the endpoint, e.g. `connection refused on 127.0.0.1:4123`.
    package var message: String
    /// The system's error number, when a system call failed (`ECONNREFUSED`, `ECONNRESET`).
    package var errno: Int32?
    /// Bytes of the answer that had arrived when it failed.
    var received = 0
    /// The start of the answer's first line (at most 80 characters), for ``Code/notHTTP``.
    package var firstLine = ""

    /// Makes an error of kind `code` about `endpoint`.
    init(_ code: Code, _ endpoint: PlainHTTPEndpoint, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.endpoint = endpoint
        self.message = message
        self.errno = errno
    }

    /// The message.
    package var description: String { message }
}
