import Foundation

extension Environment {
    /// Makes the driver of a postgres or sqlite service. Throws ``ManifestProblem`` when a
    /// value cannot be resolved or the service cannot be set up (missing server binaries).
    func makeDatabaseDriver(_ service: ServiceSpec, run: RunDirectory, cacheRoot: String, port: PortReservation?,
                            resolver: Resolver) throws -> any ServiceDriver {
        let environment = try serviceEnvironment(service, resolver: resolver)
        var seed: [ResolvedSeedStep] = []
        for step in service.seed {
            var argv: [String]?
            if case .command(let command, _, _) = step.source {
                // A reference to a value not known yet resolves on the second pass.
                argv = (try? resolver.argv(command, service: service.name)) ?? ["/bin/false"]
            }
            seed.append(ResolvedSeedStep(step: step, absolutePaths: try resolver.seedFiles(step, of: manifest, service: service.name), commandArgv: argv,
                                         workingDirectory: manifest.directory))
        }
        let folder = run.folder(for: service.name)
        let report = reporter(for: service.name)
        do {
            switch service.kind {
            case .sqlite(let spec):
                var path = folder + "/\(service.name).sqlite"
                if let template = spec.path { path = manifest.resolvePath(try resolver.resolve(template, service: service.name)) }
                try RunDirectory.makeDirectory(folder)
                return try SQLiteServiceDriver(SQLiteStore.Options(
                    serviceName: service.name, spec: spec, path: path, seed: seed, environment: environment,
                    cacheRoot: cacheRoot, report: report))
            case .postgres(let spec):
                return try makePostgresDriver(service, spec: spec, seed: seed, folder: folder, port: port,
                                              environment: environment, cacheRoot: cacheRoot, report: report)
            case .process:
                throw ManifestProblem(service.location, service: service.name, "a process service has no database driver")
            }
        } catch let problem as ManifestProblem {
            throw problem
        } catch {
            throw ManifestProblem(service.location, service: service.name, "\(error)")
        }
    }

    func makePostgresDriver(_ service: ServiceSpec, spec: PostgresSpec, seed: [ResolvedSeedStep], folder: String,
                            port: PortReservation?, environment: [String: String], cacheRoot: String,
                            report: @escaping PhaseReporter) throws -> any ServiceDriver {
        try RunDirectory.makeDirectory(folder)
        return try PostgresServiceDriver(PostgresCluster.Options(
            serviceName: service.name, spec: spec, seed: seed, serviceDirectory: folder, port: port?.port,
            environment: environment, cacheRoot: cacheRoot, report: report), port: port)
    }
}
