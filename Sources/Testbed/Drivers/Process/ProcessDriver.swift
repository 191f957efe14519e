import Synchronization

/// Runs a process service: spawn in its own group, stop with its teardown steps.
final class ProcessDriver: ServiceDriver {
    struct Launch: Sendable {
        var argv: [String]
        var environment: [String: String]
        var workingDirectory: String
        var logFile: String
        var teardown: [TeardownStep]
    }

    let name: String
    let launch: Launch
    let values: [String: String]
    let ports: [PortReservation]
    let onLine: (@Sendable (String) -> Void)?
    private let process = Mutex<ServiceProcess?>(nil)

    init(name: String, launch: Launch, values: [String: String], ports: [PortReservation],
         onLine: (@Sendable (String) -> Void)?) {
        self.name = name
        self.launch = launch
        self.values = values
        self.ports = ports
        self.onLine = onLine
    }

    func start(report: @escaping PhaseReporter) async throws -> ServiceProcess? {
        // Hand the ports over: the reservation's socket goes, its cross-run lock stays.
        for port in ports { port.releaseSocket() }
        let configuration = ServiceProcess.Configuration(
            executable: launch.argv[0], arguments: Array(launch.argv.dropFirst()), environment: launch.environment,
            workingDirectory: launch.workingDirectory, logFile: launch.logFile)
        let spawned: ServiceProcess
        do {
            spawned = try ServiceProcess(configuration, onLine: onLine)
        } catch {
            throw EnvironmentError(.spawnFailed, service: name, "cannot start \(launch.argv.joined(separator: " ")): \(error)",
                                   hint: "check 'command' in the manifest; a string runs through /bin/sh -c, a list runs directly")
        }
        process.withLock { $0 = spawned }
        report(.spawned, "pid \(spawned.pid)")
        return spawned
    }

    func stop() async {
        if let running = process.withLock({ $0 }) {
            await running.stop(launch.teardown)
        }
    }

    func reset() async throws {
        throw EnvironmentError(.databaseFailed, service: name, "a process service has no data to reset",
                               hint: "reset applies to postgres and sqlite services")
    }
}
