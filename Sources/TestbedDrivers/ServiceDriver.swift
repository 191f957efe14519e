import TestbedSystem
import TestbedModel
/// What the runtime needs from each kind of service.
///
/// A driver is made once for one service of one run, from the service's part of the
/// ``EnvironmentPlan`` (its values and ports are the plan's, known before any driver
/// exists), started once, and stopped once — also when its start failed half-way or was
/// interrupted. Drivers throw their own errors; the runtime names the service.
package protocol ServiceDriver: Sendable {
    /// Starts the service. Returns its main process (watched for unexpected exits) once
    /// the service is started and, for databases, accepting connections and seeded.
    func start(report: @escaping PhaseReporter) async throws -> ServiceProcess?

    /// Stops everything the service started and removes its files. Safe at any time.
    func stop() async
}
