import TestbedSystem
import TestbedDrivers

extension Environment {
    /// Puts a database service back to its seeded state.
    ///
    /// Open connections to its databases end; clients reconnect. A PostgreSQL service whose
    /// data directory is a reflink clone may be restarted on a new clone (see
    /// docs/storage.md): its process id changes, the environment stays up.
    public func reset(_ service: String) async throws {
        _ = try await resetDatabase(service)
    }

    /// ``reset(_:)``, returning how it went when not the usual way (`re-cloned by reflink`),
    /// for `testbed reset`.
    ///
    /// A driver that restarts the service hands back the new process: it takes the old
    /// one's place (``process(of:)``, `status`, the teardown) and is watched in its stead;
    /// the old one's exit is not a death. Until every reset of the service has returned,
    /// the exit of its process is held back, then reported only if nothing replaced it.
    package func resetDatabase(_ service: String) async throws -> String? {
        guard let database = databases[service] else {
            if drivers[service] != nil {
                throw EnvironmentError(.databaseFailed, service: service, "a \(plan?.services.first { $0.name == service }?.kindName ?? "process") service has no data to reset",
                                       hint: "reset applies to postgres and sqlite services")
            }
            throw EnvironmentError(.databaseFailed, service: service, "there is no service '\(service)' in this environment",
                                   hint: "services: \(manifest.services.map(\.name).joined(separator: ", "))")
        }
        resetsUnderWay[service, default: 0] += 1
        defer { resetEnded(service) }
        let outcome = try await database.reset()
        if let replacement = outcome.replacement {
            processes[service] = replacement
            // Before the service is first ready, its start watches whatever process it has then.
            if milestones[service]?.healthy.isReached == true, let planned = plan?.services.first(where: { $0.name == service }) {
                watch(planned, replacement)
            }
        }
        return outcome.note
    }

    private func resetEnded(_ service: String) {
        resetsUnderWay[service, default: 1] -= 1
        guard resetsUnderWay[service] == 0 else { return }
        resetsUnderWay[service] = nil
        for waiter in resetWaiters.removeValue(forKey: service) ?? [] { waiter.resume() }
    }

    /// Returns once no reset of `service` runs.
    func resetsSettled(_ service: String) async {
        while resetsUnderWay[service] != nil {
            await withCheckedContinuation { resetWaiters[service, default: []].append($0) }
        }
    }
}
