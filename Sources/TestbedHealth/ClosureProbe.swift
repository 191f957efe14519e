/// A probe whose attempt is a closure: how drivers supply checks Testbed has no built-in
/// probe for, such as an SQL query against a database they started.
///
/// The closure receives the attempt's timeout and must honour it; it passes by returning
/// and fails by throwing (preferably ``ProbeFailure``, whose message the user sees).
package struct ClosureProbe: HealthProbe {
    /// What the probe checks, in the user's words (shown in progress and errors).
    package let summary: String
    private let body: @Sendable (Duration) async throws -> Void

    /// Makes a probe whose every attempt calls `body` with the attempt's timeout.
    package init(summary: String, _ body: @escaping @Sendable (Duration) async throws -> Void) {
        self.summary = summary
        self.body = body
    }

    /// Calls the closure once; rethrows whatever it throws.
    package func attempt(timeout: Duration) async throws {
        try await body(timeout)
    }
}
