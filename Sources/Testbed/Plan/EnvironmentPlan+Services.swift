extension EnvironmentPlan {
    /// What planning one service needs besides the service: the manifest, the run directory
    /// and the caller's environment.
    struct Context {
        let manifest: Manifest
        let run: RunDirectory
        let caller: [String: String]

        /// The service's values (pass 2). A process's come from its ports; a database's
        /// from its driver's format; an sqlite `path:` may refer to `valuesSoFar`.
        func values(of service: ServiceSpec, ports: [String: PortReservation],
                    valuesSoFar: [String: [String: String]]) throws(ManifestProblem) -> [String: String] {
            switch service.kind {
            case .process(let process):
                let folder = run.folder(for: service.name)
                var own = ["host": "127.0.0.1", "log": run.log(for: service.name), "dir": folder]
                for (name, reservation) in ports { own["ports.\(name)"] = String(reservation.port) }
                for file in process.files { own["files.\(file.key)"] = folder + "/" + file.name }
                if process.generatesPassword { own["password"] = PostgresCluster.randomPassword() }
                return own
            case .postgres(let spec):
                // The run's password (generated when TCP is on, or a preset logs in with it, and
                // none is set) is fixed here, once: pass 3 takes it back from these values, so
                // values and cluster agree.
                let fronted = manifest.services.contains { other in
                    if case .process(let process) = other.kind { return process.logsInTo.contains(service.name) }
                    return false
                }
                return PostgresCluster.values(spec: PostgresCluster.runSpec(spec, fronted: fronted),
                                              serviceDirectory: run.folder(for: service.name), port: postgresPort(spec, ports: ports))
            case .sqlite(let spec):
                var path = run.folder(for: service.name) + "/\(service.name).sqlite"
                if let template = spec.path {
                    path = manifest.resolvePath(try Resolver(manifest: manifest, environment: caller, values: valuesSoFar).resolve(template, service: service.name))
                }
                return SQLiteStore.values(path: path)
            }
        }

        func postgresPort(_ spec: PostgresSpec, ports: [String: PortReservation]) -> Int {
            ports["postgres"]?.port ?? spec.fixedPort ?? 5432
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
            let folder = run.folder(for: service.name)
            var kind: PlannedService.Kind?
            var teardown: [TeardownStep] = []
            do {
                switch service.kind {
                case .process(let process):
                    var directory = manifest.directory
                    if let template = process.workingDirectory {
                        directory = manifest.resolvePath(try resolver.resolve(template, service: service.name))
                    }
                    teardown = TeardownStep.standard(signal: process.stopSignal, grace: process.stopGracePeriod)
                    let user = try account(of: service, process)
                    var files: [ProcessLaunch.File] = []
                    for file in process.files {
                        var lines: [String] = []
                        for line in file.lines { lines.append(try resolver.resolve(line, service: service.name)) }
                        files.append(.init(path: folder + "/" + file.name, contents: lines.joined(separator: "\n"), mode: file.mode))
                    }
                    let argv = try locateProgram(try resolver.argv(process.command, service: service.name), process, of: service,
                                                 environment: environment, user: user)
                    kind = .process(ProcessLaunch(
                        argv: (user?.commandPrefix ?? []) + argv,
                        environment: environment, workingDirectory: directory, logFile: run.log(for: service.name),
                        teardown: teardown, serviceDirectory: folder, files: files, user: user))
                case .postgres(let spec):
                    teardown = PostgresServer.immediateShutdown
                    var spec = spec
                    if let password = own["password"], !password.isEmpty { spec.password = password }
                    kind = .postgres(PostgresPlan(spec: spec, seed: try seed(of: service, resolver: resolver),
                                                  serviceDirectory: folder, port: postgresPort(spec, ports: ports)))
                case .sqlite(let spec):
                    kind = .sqlite(SQLitePlan(spec: spec, seed: try seed(of: service, resolver: resolver),
                                              serviceDirectory: folder, path: own["path"] ?? folder + "/\(service.name).sqlite"))
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

        /// Seed steps with absolute file paths and resolved command argv.
        func seed(of service: ServiceSpec, resolver: Resolver) throws(ManifestProblem) -> [ResolvedSeedStep] {
            var seed: [ResolvedSeedStep] = []
            for step in service.seed {
                var argv: [String]?
                if case .command(let command, _, _) = step.source { argv = try resolver.argv(command, service: service.name) }
                seed.append(ResolvedSeedStep(step: step, absolutePaths: try resolver.seedFiles(step, of: manifest, service: service.name), commandArgv: argv,
                                             workingDirectory: manifest.directory))
            }
            return seed
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
