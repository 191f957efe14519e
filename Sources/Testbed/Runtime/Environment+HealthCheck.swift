import Foundation
import TestbedSystem
import TestbedHealth

extension Environment {
    /// Waits until `service` passes its health check (``HealthGate``), recording the wait in
    /// `stage` for progress reports, and emits `healthy`.
    ///
    /// Throws ``EnvironmentError``: `healthCheckFailed` when the probe cannot be made, and the
    /// gate's failure (with a hint that fits it) when the check never passes.
    func waitUntilHealthy(_ service: PlannedService, check: PlannedHealthCheck, process: ServiceProcess?,
                          stage: StartStage) async throws {
        let probe: any HealthProbe
        do {
            probe = try makeProbe(check, for: service)
        } catch let error as EnvironmentError {
            throw error
        } catch {
            throw EnvironmentError(.healthCheckFailed, service: service.name, "the health check cannot be set up: \(error)",
                                   hint: "fix the healthcheck at \(check.location)")
        }
        stage.set("its health check (\(probe.summary))")
        let byStartTimeout = service.startTimeout < check.timing.deadline
        stage.begin(.waiting, subject: probe.summary, limit: byStartTimeout ? service.startTimeout : check.timing.deadline,
                    limitSetting: byStartTimeout ? "start_timeout" : "healthcheck.deadline")
        defer { stage.endActivity() }
        let attempts: Int
        do {
            attempts = try await HealthGate(probe: probe, timing: check.timing, process: process,
                                            onFailure: { stage.record(result: $0.message) }).wait()
        } catch let error as HealthCheckError {
            var failure = EnvironmentError(error, service: service.name, checkLocation: check.location)
            if let hint = await BlockingWork.run({ Self.healthHint(error, check: check, service: service, process: process) }) {
                failure.hint = hint
            }
            throw failure
        }
        emit(service.name, .healthy, "\(attempts) attempt\(attempts == 1 ? "" : "s")")
    }
}
