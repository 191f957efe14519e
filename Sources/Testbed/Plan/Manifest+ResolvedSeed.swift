import TestbedModel
import TestbedSeed
extension Manifest {
    /// The service's seed steps as a run applies them: fixture files with `${VAR}` read and
    /// made absolute against the manifest's folder, command argv resolved.
    ///
    /// The one place seeds are resolved: the plan's pass 3 (with every value of the run),
    /// the run-size estimate and the cache keys (with the caller's variables alone, before
    /// a run exists) all call it, so a key or an estimate reads the files the run seeds
    /// from. With `commands` false, command argv is left nil (the size estimate needs only
    /// the files). Throws ``ManifestProblem`` for an unset variable or an unknown value.
    func resolvedSeed(of service: ServiceSpec, resolver: Resolver,
                      commands: Bool = true) throws(ManifestProblem) -> [PlannedSeedStep] {
        var seed: [PlannedSeedStep] = []
        for step in service.seed {
            var argv: [String]?
            if commands, case .command(let command, _, _) = step.source { argv = try resolver.argv(command, service: service.name) }
            seed.append(PlannedSeedStep(step: step, absolutePaths: try resolver.seedFiles(step, of: self, service: service.name),
                                         commandArgv: argv, workingDirectory: directory))
        }
        return seed
    }
}
