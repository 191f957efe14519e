import Foundation
import TestbedSystem
import TestbedModel
import TestbedHealth
import TestbedDrivers

extension Environment {
    /// Makes each service's driver, once, from its part of the plan, through its kind
    /// (``ServiceKind/makeDriver(_:for:)``). Database drivers are also kept in ``databases``.
    ///
    /// Throws ``ManifestError`` naming every service that cannot be set up (missing server
    /// binaries, no account to run PostgreSQL as, a bad path or pragma), at its manifest line.
    /// Every driver is made on a ``BlockingWork`` thread: locating PostgreSQL runs
    /// `postgres --version` and waits for it, and as root leases the server's user id.
    func makeDrivers(for plan: EnvironmentPlan) async throws(ManifestError) {
        var problems: [ManifestProblem] = []
        for service in plan.services {
            let stage = StartStage()
            stages[service.name] = stage
            let request = DriverRequest(
                name: service.name, environment: service.environment, cacheRoot: plan.cacheRoot,
                clients: socketClients(of: service.name, in: plan),
                report: reporter(for: service.name, stage: stage, startTimeout: service.startTimeout),
                onLine: outputObserver(for: service.name))
            do {
                let kind = ServiceKinds.kind(named: service.kindName), planned = service.kind
                let driver = try await BlockingWork.run { [request] in
                    Result { try kind.makeDriver(planned, for: request) }
                }.get()
                drivers[service.name] = driver
                if let database = driver as? any DatabaseDriver { databases[service.name] = database }
            } catch {
                problems.append(ManifestProblem(service.location, service: service.name, "\(error)"))
            }
        }
        if !problems.isEmpty { throw ManifestError(problems: problems) }
    }

    /// The accounts of this run's process services that depend on the database `name`
    /// and run as a `user:` of their own (the pgbouncer preset, as root): the server lets
    /// them reach its Unix socket.
    private func socketClients(of name: String, in plan: EnvironmentPlan) -> [UnixUser] {
        var clients: [UnixUser] = []
        for service in plan.services where service.dependencies.contains(where: { $0.service == name }) {
            if let user = (service.kind as? ProcessPlan)?.user, !clients.contains(user) { clients.append(user) }
        }
        return clients
    }

    private func outputObserver(for name: String) -> (@Sendable (String) -> Void)? {
        guard let output = options.onOutput else { return nil }
        return { line in output(name, line) }
    }

    /// The probe for a service's planned health check. A `log` check reads the service's
    /// process, an `sql` check asks its database driver.
    ///
    /// Throws ``EnvironmentError`` when the service has no process or no database for the
    /// check, and ``ProbeFailure`` for a probe that cannot work (a bad URL).
    func makeProbe(_ check: PlannedHealthCheck, for service: PlannedService) throws -> any HealthProbe {
        switch check.probe {
        case .tcp(let port):
            return TCPProbe(port: port)
        case .http(let url, let status):
            return try HTTPProbe(url: url, expectedStatus: status)
        case .command(let argv, let environment, let workingDirectory, let logFile):
            return CommandProbe(argv: argv, environment: environment, workingDirectory: workingDirectory, logFile: logFile)
        case .log(let pattern):
            guard let process = processes[service.name] else {
                throw EnvironmentError(.healthCheckFailed, service: service.name, "a log check needs the service's process")
            }
            return try LogProbe(pattern: pattern, log: process.log)
        case .sql(let query):
            guard let database = databases[service.name] else {
                throw EnvironmentError(.healthCheckFailed, service: service.name, "an sql check needs a database service")
            }
            return database.sqlProbe(query: query)
        }
    }
}
