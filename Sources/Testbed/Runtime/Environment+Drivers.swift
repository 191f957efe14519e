import Foundation

extension Environment {
    /// Makes each service's driver, once, from its part of the plan. Database drivers are
    /// also kept in ``databases``, so the runtime never asks a driver what it is.
    ///
    /// Throws ``ManifestError`` naming every service that cannot be set up (missing server
    /// binaries, no account to run PostgreSQL as, a bad path or pragma), at its manifest line.
    func makeDrivers(for plan: EnvironmentPlan) throws(ManifestError) {
        var problems: [ManifestProblem] = []
        for service in plan.services {
            let stage = StartStage()
            stages[service.name] = stage
            let report = reporter(for: service.name, stage: stage, startTimeout: service.startTimeout)
            do {
                switch service.kind {
                case .process(let launch):
                    drivers[service.name] = ProcessServiceDriver(launch: launch, onLine: outputObserver(for: service.name))
                case .postgres(let postgres):
                    try RunDirectory.makeDirectory(postgres.serviceDirectory)
                    var options = PostgresCluster.Options(
                        serviceName: service.name, spec: postgres.spec, seed: postgres.seed,
                        serviceDirectory: postgres.serviceDirectory, port: postgres.port, environment: service.environment,
                        cacheRoot: plan.cacheRoot, report: report)
                    options.socketClients = socketClients(of: service.name, in: plan)
                    let driver = try PostgresServiceDriver(options)
                    drivers[service.name] = driver
                    databases[service.name] = driver
                case .sqlite(let sqlite):
                    try RunDirectory.makeDirectory(sqlite.serviceDirectory)
                    let driver = try SQLiteServiceDriver(SQLiteStore.Options(
                        serviceName: service.name, spec: sqlite.spec, path: sqlite.path, seed: sqlite.seed,
                        environment: service.environment, cacheRoot: plan.cacheRoot, report: report))
                    drivers[service.name] = driver
                    databases[service.name] = driver
                }
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
            if case .process(let launch) = service.kind, let user = launch.user, !clients.contains(user) { clients.append(user) }
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
