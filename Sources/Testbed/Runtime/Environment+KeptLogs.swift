import Foundation
import TestbedSystem

extension Environment {
    /// Asks the next teardown to save every service's log (PostgreSQL's server log included)
    /// under `RUN_ROOT/.logs` before the run directory is removed: for a test command that
    /// failed. The saved folder is ``keptLogs`` once ``stop()`` returns. A kept run directory
    /// (``Options/keepRunDirectory``) already holds the logs and is not copied.
    package func keepLogs() {
        machine.logsRequested()
    }

    /// The folder holding this run's logs after ``stop()``: the kept run directory, or the
    /// folder ``keepLogs()`` saved them in; nil when they were removed.
    package var logsAfterStop: String? {
        if let runDirectory, runDirectory.isKept { return runDirectory.path }
        return keptLogs
    }

    /// Copies the logs of `run` (``KeptLogs/save(_:name:limit:maximumAge:)``) on a
    /// ``BlockingWork`` thread: logs have no size limit.
    func saveLogs(of run: RunDirectory) async {
        let (name, limit, maximumAge) = (name, KeptLogs.limit(environment: options.environment),
                                         KeptLogs.maximumAge(environment: options.environment))
        let saved = await BlockingWork.run {
            Result { () throws(PathTrustError) in try KeptLogs.save(run, name: name, limit: limit, maximumAge: maximumAge) }
        }
        switch saved {
        case .success(let folder): keptLogs = folder
        case .failure(let error): emit(nil, .note, "warning: the logs could not be kept: \(error.message)")
        }
    }
}
