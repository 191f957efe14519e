import TestbedSystem
import TestbedModel
import TestbedDrivers
extension EnvironmentPlan {
    /// What planning one service needs besides the service: the manifest, the run directory
    /// and the caller's environment.
    struct Context {
        let manifest: Manifest
        let run: RunDirectory
        let caller: [String: String]

        /// The service's values (pass 2), from its kind; a value may refer to `valuesSoFar`
        /// (an sqlite `path:`).
        func values(of service: ServiceSpec, ports: [String: PortReservation],
                    valuesSoFar: [String: [String: String]]) throws(ManifestProblem) -> [String: String] {
            let (manifest, caller) = (manifest, caller)
            // Made only when a template is resolved: most services' values have none.
            let resolver = { Resolver(manifest: manifest, environment: caller, values: valuesSoFar) }
            return try ServiceKinds.kind(of: service.kind).values(of: service.kind, service: planning(service, ports: ports, resolver: resolver))
        }

        /// The service as its kind sees it: its folder, log and ports, and templates resolved
        /// by the resolver `resolver` makes.
        func planning(_ service: ServiceSpec, ports: [String: PortReservation], resolver: @escaping () -> Resolver) -> PlanningService {
            // A service another one logs in to (a pgbouncer preset's target) gets a password for the run.
            let loggedInto = manifest.services.contains { $0.process?.logsInTo.contains(service.name) ?? false }
            let manifest = manifest
            return PlanningService(name: service.name, location: service.location, folder: run.folder(for: service.name),
                                   log: run.log(for: service.name), ports: ports.mapValues(\.port), loggedInto: loggedInto,
                                   resolve: { template throws(ManifestProblem) in try resolver().resolve(template, service: service.name) },
                                   resolvePath: { manifest.resolvePath($0) })
        }

        /// Everything else about the service (pass 3), resolved against every value.
        func plan(_ service: ServiceSpec, ports: [String: PortReservation], values: [String: [String: String]],
                  resolver: Resolver) throws(ManifestError) -> PlannedService {
            var problems: [ManifestProblem] = []
            var environment = caller
            for entry in service.environment {
                do { environment[entry.name] = try resolver.resolve(entry.value, service: service.name) } catch { problems.append(error) }
            }
            let own = values[service.name] ?? [:]
            var kind: (any PlannedKind)?
            var teardown: [TeardownStep] = []
            do {
                if let process = service.process {
                    let planned = try launch(service, process, resolver: resolver, environment: environment)
                    kind = planned.launch
                    teardown = planned.teardown
                } else if let planned = try ServiceKinds.kind(of: service.kind).plan(
                    service.kind, service: planning(service, ports: ports, resolver: { resolver }), values: own,
                    seed: try manifest.resolvedSeed(of: service, resolver: resolver)) {
                    kind = planned.kind
                    teardown = planned.teardown
                }
            } catch {
                problems.append(error)
            }
            var healthCheck: PlannedHealthCheck?
            if let spec = service.healthcheck {
                do {
                    healthCheck = try plannedHealthCheck(spec, of: service, ports: own, environment: environment, resolver: resolver)
                } catch {
                    problems.append(error)
                }
            }
            guard problems.isEmpty, let kind else { throw ManifestError(problems: problems) }
            return PlannedService(
                name: service.name, kind: kind, kindName: service.kindName, location: service.location,
                dependencies: service.dependsOn.map { dependency in
                    let isJob = manifest.service(named: dependency.service)?.isJob ?? false
                    return .init(service: dependency.service,
                                 condition: dependency.condition ?? (isJob ? .completedSuccessfully : .healthy))
                },
                isJob: service.isJob, values: own, ports: ports, environment: environment, healthCheck: healthCheck,
                teardown: teardown, startTimeout: service.startTimeout)
        }

        /// A process's launch (the core plans the process kind: accounts, program lookup)
        /// and its teardown.
        func launch(_ service: ServiceSpec, _ process: ProcessSpec, resolver: Resolver,
                    environment: [String: String]) throws(ManifestProblem) -> (launch: ProcessPlan, teardown: [TeardownStep]) {
            let folder = run.folder(for: service.name)
            var directory = manifest.directory
            if let template = process.workingDirectory {
                directory = manifest.resolvePath(try resolver.resolve(template, service: service.name))
            }
            let teardown = TeardownStep.standard(signal: process.stopSignal, grace: process.stopGracePeriod)
            let user = try account(of: service, process)
            var files: [ProcessPlan.File] = []
            for file in process.files {
                var lines: [String] = []
                for line in file.lines { lines.append(try resolver.resolve(line, service: service.name)) }
                files.append(.init(path: folder + "/" + file.name, contents: lines.joined(separator: "\n"), mode: file.mode))
            }
            let argv = try locateProgram(try resolver.argv(process.command, service: service.name), process, of: service,
                                         environment: environment, user: user)
            let launch = ProcessPlan(
                argv: (user?.commandPrefix ?? []) + argv,
                environment: environment, workingDirectory: directory, logFile: run.log(for: service.name),
                teardown: teardown, serviceDirectory: folder, files: files, user: user)
            return (launch, teardown)
        }

        /// The health check with its port, URL or command resolved; a port the service does
        /// not have is a problem at the check's line.
        func plannedHealthCheck(_ spec: HealthCheckSpec, of service: ServiceSpec, ports own: [String: String],
                                environment: [String: String], resolver: Resolver) throws(ManifestProblem) -> PlannedHealthCheck {
            func port(_ reference: HealthCheckSpec.PortReference) throws(ManifestProblem) -> Int {
                switch reference {
                case .number(let number):
                    return number
                case .named(let name):
                    guard let text = own["ports.\(name)"], let number = Int(text) else {
                        let declared = own.keys.filter { $0.hasPrefix("ports.") }.map { String($0.dropFirst(6)) }.sorted()
                        throw ManifestProblem(spec.location, service: service.name,
                                              "the healthcheck uses port '\(name)', which the service does not declare",
                                              hint: declared.isEmpty ? "declare it: 'ports: [\(name)]'"
                                                  : "declared ports: \(declared.joined(separator: ", "))")
                    }
                    return number
                }
            }
            let probe: PlannedHealthCheck.Probe
            switch spec.probe {
            case .tcp(let reference):
                probe = .tcp(port: try port(reference))
            case .http(.path(let path, let reference), let status):
                probe = .http(url: "http://127.0.0.1:\(try port(reference))\(path)", expectedStatus: status)
            case .http(.url(let url), let status):
                probe = .http(url: try resolver.resolve(url, service: service.name), expectedStatus: status)
            case .command(let command):
                let argv = try resolver.argv(command, service: service.name)
                if let program = ProgramCheck.program(of: command), let name = argv.first {
                    _ = try ProgramCheck.locate(name, of: service, path: environment["PATH"], at: program.location)
                }
                probe = .command(argv: argv, environment: environment,
                                 workingDirectory: manifest.directory, logFile: run.logs + "/\(service.name).health.log")
            case .log(let pattern):
                probe = .log(pattern: pattern)
            case .sql(let query):
                probe = .sql(query: query)
            }
            return PlannedHealthCheck(probe: probe, timing: spec.timing, location: spec.location)
        }
    }
}
