import Foundation
import Synchronization
import TestbedSystem
import TestbedModel
import TestbedSeed

/// Runs a container service: the engine's `run` attached, as a supervised process whose
/// output is the service's log; teardown stops and removes the container.
///
/// Attached rather than `run -d` plus `logs -f`: one process carries the container's life
/// (its exit is the container's, watched like any service's), its output goes straight to
/// the log file with no second process, and a signal to it reaches the container
/// (`--sig-proxy`). A container outlives a killed CLI (the engine's monitor runs it), so the
/// removal is registered with the watchdog before the spawn and run at every teardown.
final class ContainerServiceDriver: ServiceDriver {
    let plan: ContainerPlan
    let service: String
    let onLine: (@Sendable (String) -> Void)?
    private let process = Mutex<ServiceProcess?>(nil)

    init(plan: ContainerPlan, service: String, onLine: (@Sendable (String) -> Void)?) {
        self.plan = plan
        self.service = service
        self.onLine = onLine
    }

    private var registryKey: String { "container " + plan.name }

    /// Writes the env file, registers the emergency removal, spawns the engine's `run`, and
    /// runs the seed commands inside the container once it runs. Throws
    /// ``ServiceProcessError`` when the engine cannot be spawned, ``SeedError`` for a seed step.
    func start(report: @escaping PhaseReporter) async throws -> ServiceProcess? {
        let text = plan.containerEnvironment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined()
        try ServiceFolder.prepare(plan.serviceDirectory, files: [("container.env", text, 0o600)] + plan.files, owner: nil)
        ProcessRegistry.addCommand(registryKey, plan.emergencyRemoval)
        let options = ServiceProcess.Options(
            executable: plan.engine.path, arguments: plan.runArguments, environment: plan.engineEnvironment,
            workingDirectory: plan.serviceDirectory, logFile: plan.logFile)
        let spawned = try ServiceProcess(options, onLine: onLine)
        process.withLock { $0 = spawned }
        report(.spawned, "pid \(spawned.pid), container \(plan.name)")
        if !plan.seed.isEmpty {
            try await waitUntilRunning(spawned)
            for (index, step) in plan.seed.enumerated() {
                report(.seeding, "step \(index + 1)/\(plan.seed.count) inside \(plan.name)")
                let result = await BlockingWork.run { [plan] in ShortCommand.run(step.argv, environment: plan.engineEnvironment) }
                guard result.status == 0 else {
                    throw SeedError(service: service, file: "command " + step.argv.dropFirst(3).joined(separator: " "),
                                    message: "exited with status \(result.status) inside the container: "
                                        + result.output.split(separator: "\n").suffix(5).joined(separator: " | "),
                                    step: step.location)
                }
            }
        }
        return spawned
    }

    /// Waits until `exec` works in the container (it exists and runs); throws when the
    /// engine's `run` exits first (a missing image, a bad option: its log says).
    private func waitUntilRunning(_ spawned: ServiceProcess) async throws {
        let probe = plan.execPrefix + ["true"]
        while true {
            try Task.checkCancellation()
            if let status = spawned.exitStatus {
                let tail = await spawned.finalLines(5).joined(separator: " | ")
                throw ServiceProcessError(message: "the container exited (\(status)) before its seed ran: \(tail)")
            }
            let result = await BlockingWork.run { [plan] in ShortCommand.run(probe, environment: plan.engineEnvironment) }
            if result.status == 0 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Removes the container (stop signal, its grace period, kill; anonymous volumes too),
    /// then lets the engine's CLI end.
    func stop() async {
        let running = process.withLock { $0 }
        guard running != nil || ProcessRegistry.hasCommand(registryKey) else { return }
        let plan = plan
        await BlockingWork.run {
            for argv in plan.removal { _ = ShortCommand.run(argv, environment: plan.engineEnvironment) }
        }
        if let running { _ = await running.stop(plan.teardown) }
        ProcessRegistry.removeCommand(registryKey)
    }
}
