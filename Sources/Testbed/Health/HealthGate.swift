/// Waits until a started service passes its health check, or fails fast.
///
/// Fails as soon as an attempt fails after the service's process has exited (no waiting
/// out the deadline), and otherwise after the deadline with the probe's last error.
struct HealthGate: Sendable {
    var service: String
    var spec: HealthCheckSpec
    var probe: any HealthProbe
    var process: ServiceProcess?

    /// Returns the number of attempts it took.
    func wait() async throws -> Int {
        let clock = ContinuousClock()
        let deadline = clock.now + spec.deadline
        if spec.startPeriod > .zero { try await Task.sleep(for: spec.startPeriod) }
        var attempts = 0
        var lastError = "no attempt was made"
        while true {
            try Task.checkCancellation()
            attempts += 1
            do {
                try await probe.attempt(timeout: spec.timeout)
                return attempts
            } catch let failure as ProbeFailure {
                lastError = failure.message
                if failure.code == .invalidProbe {
                    throw EnvironmentError(.healthCheckFailed, service: service, "health check \(probe.summary) cannot work: \(failure.message)",
                                           hint: "fix the healthcheck at \(spec.location)")
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                lastError = "\(error)"
            }
            // A failed attempt by a service that has exited: fail now, not at the deadline.
            // (A check that passed counts, even if the service died right after: the
            // runtime then reports it as a service that died.)
            if let status = process?.exitStatus { throw await exited(status) }
            if clock.now + spec.interval >= deadline {
                if let status = process?.exitStatus { throw await exited(status) }
                throw EnvironmentError(
                    .healthCheckFailed, service: service,
                    "health check \(probe.summary) did not pass within \(spec.deadline) (\(attempts) attempts); last error: \(lastError)",
                    logTail: process?.log.lastLines(20) ?? [], logFile: process?.configuration.logFile,
                    hint: "see the service's log; raise healthcheck.deadline if it is only slow (\(spec.location))")
            }
            try await Task.sleep(for: spec.interval)
        }
    }

    private func exited(_ status: ExitStatus) async -> EnvironmentError {
        EnvironmentError(.exitedDuringStart, service: service, "exited before it was healthy (\(status))",
                         logTail: await process?.finalLines() ?? [], logFile: process?.configuration.logFile,
                         hint: "the service's own output above says why")
    }
}
