import Foundation

extension Environment {
    /// Asks the next teardown to save every service's log (PostgreSQL's server log included)
    /// under `RUN_ROOT/.logs` before the run directory is removed: for a test command that
    /// failed. The saved folder is ``keptLogs`` once ``stop()`` returns. A kept run directory
    /// (``Options/keepRunDirectory``) already holds the logs and is not copied.
    public func keepLogs() {
        machine.logsRequested()
    }

    /// The folder holding this run's logs after ``stop()``: the kept run directory, or the
    /// folder ``keepLogs()`` saved them in; nil when they were removed.
    public var logsAfterStop: String? {
        if let runDirectory, runDirectory.isKept { return runDirectory.path }
        return keptLogs
    }

    func saveLogs(of run: RunDirectory) {
        do {
            keptLogs = try KeptLogs.save(run, name: name, limit: KeptLogs.limit(environment: options.environment),
                                         maximumAge: KeptLogs.maximumAge(environment: options.environment))
        } catch {
            emit(nil, .note, "warning: the logs could not be kept: \(error.message)")
        }
    }
}
