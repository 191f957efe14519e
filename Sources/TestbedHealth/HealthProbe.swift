/// One way of asking a service whether it is healthy.
///
/// A probe makes a single attempt per call; the health gate decides how often to call it,
/// for how long, and what to do with the failures. Probes are values that tests can build
/// and inspect without a running environment.
package protocol HealthProbe: Sendable {
    /// What the probe checks, in the user's words, e.g. `tcp 127.0.0.1:5432`.
    var summary: String { get }

    /// Makes one attempt, taking at most about `timeout`.
    ///
    /// Returns when the service is healthy. Throws ``ProbeFailure`` when it is not (yet),
    /// and `CancellationError` when the calling task is cancelled.
    func attempt(timeout: Duration) async throws
}

/// Why a probe attempt (or the construction of a probe) failed.
///
/// `message` is written for the user, e.g. `connection refused on 127.0.0.1:4123` or
/// `GET /health → 503 (expected 200)`.
package struct ProbeFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is, for callers that treat some kinds differently.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code's short name, e.g. `timed out`.
        public let description: String
        private init(_ description: String) { self.description = description }

        /// Nothing answered: connection refused, reset, or the host is unreachable.
        package static let unreachable = Code("unreachable")
        /// The attempt did not finish within its timeout.
        package static let timedOut = Code("timed out")
        /// The service answered, but not with what was expected (status, exit code).
        package static let unexpectedAnswer = Code("unexpected answer")
        /// The condition has not happened yet (no log line matched).
        package static let notYet = Code("not yet")
        /// The probe itself is wrong (bad URL, bad pattern, empty command): retrying cannot help.
        package static let invalidProbe = Code("invalid probe")
    }

    /// What kind of failure this is; the health gate gives up at once on `invalidProbe`.
    package var code: Code
    /// What went wrong, written for the user: the probe's last result, as progress reports
    /// show it while a service waits (`connection refused on 127.0.0.1:4123`,
    /// `GET /healthz → 404 (expected 200)`, `exit status 1: LAST LINE`).
    package var message: String
    /// The status an HTTP probe got instead of the expected one, for hints (a steady 404
    /// means a wrong path, not a slow service).
    package var httpStatus: Int?

    /// Makes a failure of kind `code` with a message for the user.
    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    package var description: String { message }
}
