import TestbedModel
/// A seed step with everything the runtime resolves before a driver applies it.
public struct PlannedSeedStep: Sendable {
    /// The step as the manifest wrote it (kind, options, manifest location).
    package var step: SeedStep
    /// ``SeedStep/files`` resolved against the manifest's folder, in the same order: the
    /// fixture file for sql/csv/json, the `inputs` for a command.
    package var absolutePaths: [String]
    /// For a command step: the argv with placeholders resolved (`/bin/sh -c …` for the
    /// string form); nil for the other kinds.
    package var commandArgv: [String]?
    /// Where a command step runs (the manifest's folder); nil: the current directory.
    package var workingDirectory: String?

    /// Makes a resolved step; `commandArgv` is required for command steps, nil for the others.
    package init(step: SeedStep, absolutePaths: [String], commandArgv: [String]? = nil, workingDirectory: String? = nil) {
        self.step = step
        self.absolutePaths = absolutePaths
        self.commandArgv = commandArgv
        self.workingDirectory = workingDirectory
    }

    /// The step in a few words for progress reports: its file as the manifest wrote it
    /// (`fixtures/orders.sql`), or the command it runs.
    package var progressName: String {
        switch step.source {
        case .sql(let path), .csv(let path, _, _), .json(let path, _): path
        case .command: "command " + (commandArgv?.last ?? "") + " (\(step.location))"
        }
    }
}
