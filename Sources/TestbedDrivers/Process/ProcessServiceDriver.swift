import Foundation
import Synchronization
import TestbedSystem
import TestbedModel

/// Runs a process service: spawn in its own group, stop with its teardown steps.
final class ProcessServiceDriver: ServiceDriver {
    /// How the process is spawned and stopped (argv, environment, folder, log, teardown).
    let launch: ProcessPlan
    let onLine: (@Sendable (String) -> Void)?
    private let process = Mutex<ServiceProcess?>(nil)

    init(launch: ProcessPlan, onLine: (@Sendable (String) -> Void)?) {
        self.launch = launch
        self.onLine = onLine
    }

    /// Spawns the process. Throws ``ServiceProcessError`` when it cannot be spawned.
    func start(report: @escaping PhaseReporter) async throws -> ServiceProcess? {
        if let folder = launch.serviceDirectory {
            try ServiceFolder.prepare(folder, files: launch.files.map { (($0.path as NSString).lastPathComponent, $0.contents, $0.mode) },
                                      owner: launch.user)
        }
        let configuration = ServiceProcess.Options(
            executable: launch.argv[0], arguments: Array(launch.argv.dropFirst()), environment: launch.environment,
            workingDirectory: launch.workingDirectory, logFile: launch.logFile)
        let spawned = try ServiceProcess(configuration, onLine: onLine)
        process.withLock { $0 = spawned }
        report(.spawned, "pid \(spawned.pid)")
        return spawned
    }

    func stop() async {
        if let running = process.withLock({ $0 }) {
            await running.stop(launch.teardown)
        }
    }
}
