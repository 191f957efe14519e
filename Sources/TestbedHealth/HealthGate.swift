import TestbedSystem
import TestbedModel
/// Waits until a started service passes its health check, or fails fast.
///
/// Fails as soon as an attempt fails after the service's process has exited (no waiting
/// out the deadline), and otherwise after the deadline with the probe's last error. It
/// knows the probe, the timing and the process — nothing of manifests or environments.
package struct HealthGate: Sendable {
    var probe: any HealthProbe
    /// How often and how long to try; ``HealthTiming/wait(after:)`` says how long between attempts.
    var timing: HealthTiming
    /// The service's main process, watched for an exit; nil for services without one.
    var process: ServiceProcess?
    /// Told each failed attempt's result (from the waiting task), for progress reports.
    var onFailure: (@Sendable (ProbeFailure) -> Void)? = nil

    /// Returns the number of attempts it took.
    ///
    /// Throws ``HealthCheckError`` (`invalidProbe`, `deadlineExceeded`, `exited`), and
    /// `CancellationError` when the calling task is cancelled.
    package func wait() async throws -> Int {
        let clock = ContinuousClock()
        let deadline = clock.now + timing.deadline
        if timing.startPeriod > .zero { try await Task.sleep(for: timing.startPeriod) }
        var attempts = 0
        var last = ProbeFailure(.notYet, "no attempt was made")
        while true {
            try Task.checkCancellation()
            attempts += 1
            do {
                try await probe.attempt(timeout: timing.timeout)
                return attempts
            } catch let failure as ProbeFailure {
                last = failure
                if failure.code == .invalidProbe {
                    throw HealthCheckError(.invalidProbe, "health check \(probe.summary) cannot work: \(failure.message)")
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // A check of a driver's own (sql): its error is the result.
                last = ProbeFailure(.unexpectedAnswer, "\(error)")
            }
            onFailure?(last)
            // A failed attempt by a service that has exited: fail now, not at the deadline.
            // (A check that passed counts, even if the service died right after: the
            // runtime then reports it as a service that died.)
            if let status = process?.exitStatus { throw await exited(status) }
            let wait = timing.wait(after: attempts)
            if clock.now + wait >= deadline {
                if let status = process?.exitStatus { throw await exited(status) }
                var error = HealthCheckError(
                    .deadlineExceeded,
                    "health check \(probe.summary) did not pass within \(timing.deadline) (\(attempts) attempts); last error: \(last.message)",
                    logTail: process?.log.lastLines(20) ?? [], logFile: process?.options.logFile)
                error.lastFailure = last
                throw error
            }
            try await Task.sleep(for: wait)
        }
    }

    private func exited(_ status: ExitStatus) async -> HealthCheckError {
        HealthCheckError(.exited, "exited before it was healthy (\(status))", exitStatus: status,
                         logTail: await process?.finalLines() ?? [], logFile: process?.options.logFile)
    }

    /// Makes the value from its fields.
    package init(probe: any HealthProbe, timing: HealthTiming, process: ServiceProcess? = nil, onFailure: (@Sendable (ProbeFailure) -> Void)? = nil) {
        self.probe = probe
        self.timing = timing
        self.process = process
        self.onFailure = onFailure
    }
}
