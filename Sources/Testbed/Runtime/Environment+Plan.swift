import Foundation

extension Environment {
    /// Reserves ports, makes each service's driver, and resolves every placeholder.
    /// Collects all resolution problems and throws them together before anything starts.
    func plan(in run: RunDirectory) throws {
        let caller = options.environment
        let cacheRoot = options.cacheRoot ?? Caches.root(environment: caller)
        var problems: [ManifestProblem] = []
        var values: [String: [String: String]] = ["run": ["dir": run.path, "name": name]]
        var portsByService: [String: [String: PortReservation]] = [:]
        let allocator = PortAllocator()

        // Ports first: every service's port numbers are known before any template is resolved.
        for service in manifest.services {
            var reserved: [String: PortReservation] = [:]
            var specs: [PortSpec] = []
            if case .process(let process) = service.kind { specs = process.ports }
            if case .postgres(let spec) = service.kind, spec.tcp {
                specs = [PortSpec(name: "postgres", fixed: spec.fixedPort, location: service.location)]
            }
            for port in specs {
                do {
                    let reservation = try port.fixed.map { try allocator.reserve(fixed: $0) } ?? allocator.reserve()
                    reserved[port.name] = reservation
                    ports.append(reservation)
                } catch {
                    problems.append(ManifestProblem(port.location, service: service.name, "port '\(port.name)': \(error)",
                                                    hint: port.fixed == nil ? nil : "remove the fixed number to let Testbed choose a free port"))
                }
            }
            portsByService[service.name] = reserved
            if case .process = service.kind {
                var own = ["host": "127.0.0.1", "log": run.log(for: service.name)]
                for (name, reservation) in reserved { own["ports.\(name)"] = String(reservation.port) }
                values[service.name] = own
            }
        }
        if !problems.isEmpty { throw ManifestError(problems: problems) }

        // Databases: their drivers define their values (URLs, paths).
        for service in manifest.services where service.kindName != "process" {
            do {
                let driver = try makeDatabaseDriver(service, run: run, cacheRoot: cacheRoot,
                                                    port: portsByService[service.name]?["postgres"],
                                                    resolver: Resolver(environment: caller, values: values))
                drivers[service.name] = driver
                values[service.name] = driver.values
            } catch let problem as ManifestProblem {
                problems.append(problem)
            }
        }
        problems += planLinks(values: &values, allocator: allocator)
        problems += planToxiproxy(values: &values, allocator: allocator)
        let resolver = Resolver(environment: caller, values: values)
        // Seed commands may refer to values of databases made after them: make those again.
        for service in manifest.services where service.kindName != "process" && service.seed.contains(where: \.isCommand) {
            do {
                drivers[service.name] = try makeDatabaseDriver(service, run: run, cacheRoot: cacheRoot,
                                                               port: portsByService[service.name]?["postgres"], resolver: resolver)
            } catch let problem as ManifestProblem {
                problems.append(problem)
            }
        }
        for service in manifest.services {
            guard case .process(let process) = service.kind else { continue }
            do {
                let environment = try serviceEnvironment(service, resolver: resolver)
                var directory = manifest.directory
                if let template = process.workingDirectory {
                    directory = manifest.resolvePath(try resolver.resolve(template, service: service.name))
                }
                let launch = ProcessDriver.Launch(
                    argv: try resolver.argv(process.command, service: service.name), environment: environment,
                    workingDirectory: directory, logFile: run.log(for: service.name),
                    teardown: TeardownStep.standard(signal: process.stopSignal, grace: process.stopGracePeriod))
                let name = service.name
                var onLine: (@Sendable (String) -> Void)?
                if let output = options.onOutput {
                    onLine = { line in output(name, line) }
                }
                let reserved: [PortReservation] = Array(portsByService[name, default: [:]].values)
                let driver = ProcessDriver(name: name, launch: launch, values: values[name] ?? [:], ports: reserved, onLine: onLine)
                drivers[name] = driver
            } catch {
                problems.append(error)
            }
        }
        var exports = ["TESTBED_RUN_DIR": run.path, "TESTBED_ENV_NAME": name].merging(toxiproxyExports) { own, _ in own }
        for export in manifest.exports {
            do { exports[export.name] = try resolver.resolve(export.value) } catch { problems.append(error) }
        }
        if !problems.isEmpty { throw ManifestError(problems: problems) }
        self.values = values
        self.exports = exports
    }

    /// The caller's environment plus the service's own entries.
    func serviceEnvironment(_ service: ServiceSpec, resolver: Resolver) throws(ManifestProblem) -> [String: String] {
        var environment = options.environment
        for entry in service.environment {
            environment[entry.name] = try resolver.resolve(entry.value, service: service.name)
        }
        return environment
    }

    /// The probe for a service's health check, its placeholders resolved.
    func probe(for service: ServiceSpec, spec: HealthCheckSpec) throws -> any HealthProbe {
        let resolver = Resolver(environment: options.environment, values: values)
        let own = values[service.name] ?? [:]
        func port(_ reference: HealthCheckSpec.PortReference) -> Int {
            switch reference {
            case .number(let number): number
            case .named(let name): Int(own["ports.\(name)"] ?? "") ?? 0
            }
        }
        switch spec.probe {
        case .tcp(let reference):
            return TCPProbe(port: port(reference))
        case .http(.path(let path, let reference), let status):
            return try HTTPProbe(url: "http://127.0.0.1:\(port(reference))\(path)", expectedStatus: status)
        case .http(.url(let url), let status):
            return try HTTPProbe(url: try resolver.resolve(url, service: service.name), expectedStatus: status)
        case .command(let command):
            return CommandProbe(argv: try resolver.argv(command, service: service.name),
                                environment: try serviceEnvironment(service, resolver: resolver),
                                workingDirectory: manifest.directory,
                                logFile: (runDirectory?.logs ?? "/tmp") + "/\(service.name).health.log")
        case .log(let pattern):
            guard let process = processes[service.name] else {
                throw EnvironmentError(.healthCheckFailed, service: service.name, "a log check needs the service's process")
            }
            return try LogProbe(pattern: pattern, log: process.log)
        case .sql(let query):
            guard let probe = drivers[service.name]?.sqlProbe(query: query) else {
                throw EnvironmentError(.healthCheckFailed, service: service.name, "an sql check needs a database service")
            }
            return probe
        }
    }
}

extension SeedStep {
    var isCommand: Bool {
        if case .command = source { return true }
        return false
    }
}
