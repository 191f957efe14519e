import TestbedSystem
/// Why a health gate gave up on a service.
///
/// The health layer knows probes and processes, not environments: the runtime adds the
/// service's name and the manifest line of its check (in ``EnvironmentError``) before a
/// user sees it.
package struct HealthCheckError: TestbedError {
    /// Why the gate gave up; compare with `==`.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code's short name, e.g. `deadline exceeded`.
        public let description: String
        private init(_ description: String) { self.description = description }

        /// The probe itself is wrong (bad URL, bad pattern, empty command): retrying cannot help.
        package static let invalidProbe = Code("invalid probe")
        /// No attempt passed before the deadline.
        package static let deadlineExceeded = Code("deadline exceeded")
        /// The service's process exited before an attempt passed.
        package static let exited = Code("exited")
    }

    /// Why the gate gave up.
    package var code: Code
    /// What happened, written for the user, e.g. `health check tcp 127.0.0.1:4123 did not
    /// pass within 2 s (300 attempts); last error: connection refused on 127.0.0.1:4123`.
    package var message: String
    /// How the process ended, for ``Code/exited``.
    package var exitStatus: ExitStatus?
    /// The last lines the service printed, oldest first (empty without a process).
    package var logTail: [String]
    /// The service's log file, where its full output is.
    package var logFile: String?
    /// For ``Code/deadlineExceeded``: the last attempt's failure, for hints that fit it.
    package var lastFailure: ProbeFailure?

    /// Makes an error; the health gate makes these, tests may too.
    package init(_ code: Code, _ message: String, exitStatus: ExitStatus? = nil, logTail: [String] = [], logFile: String? = nil) {
        self.code = code
        self.message = message
        self.exitStatus = exitStatus
        self.logTail = logTail
        self.logFile = logFile
    }
}
