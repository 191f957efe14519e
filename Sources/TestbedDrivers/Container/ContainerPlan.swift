import TestbedSystem
import TestbedModel

/// How a container service runs, every template resolved: the engine's attached `run`
/// (a process Testbed supervises, its output the service's log), the container's name and
/// labels, the seed commands run inside it and what removes it.
package struct ContainerPlan: PlannedKind {
    /// A seed `command:` run inside the container.
    package struct SeedCommand: Sendable {
        /// `ENGINE exec NAME ARGV…`.
        package var argv: [String]
        /// The step's manifest line.
        package var location: SourceLocation
    }

    /// The engine's CLI.
    package var engine: ContainerEngine
    /// The container's name: `tb-RUN-SERVICE`, unique per run.
    package var name: String
    /// `ENGINE run …` without the engine: attached, `--rm`, `--pull never`, labels, ports.
    package var runArguments: [String]
    /// The engine's own environment (the caller's): its storage, `XDG_RUNTIME_DIR`, `HOME`.
    package var engineEnvironment: [String: String]
    /// The container's environment, written to ``environmentFile`` (never on a command line).
    package var containerEnvironment: [String: String]
    /// `SERVICE_DIR/container.env`, 0600 in the service's 0700 folder.
    package var environmentFile: String
    /// `files:` as written into the service's folder: name, text, mode.
    package var files: [(name: String, contents: String, mode: UInt16)] = []
    /// The service's folder (`${NAME.dir}`).
    package var serviceDirectory: String
    /// `RUN_DIR/logs/NAME.log`: the container's stdout and stderr.
    package var logFile: String
    /// Seconds between the stop signal and the kill at teardown.
    package var graceSeconds: Int
    /// The engine CLI's own teardown, once the container is gone.
    package var teardown: [TeardownStep]
    /// Seed commands, in order.
    package var seed: [SeedCommand]

    package var seedStepCount: Int { seed.count }

    /// `ENGINE exec NAME`: commands (a `test:` health check, seed steps) run inside.
    package var execPrefix: [String] { [engine.path, "exec", name] }

    /// The removal at teardown: stop signal, grace, kill, then the container and its anonymous volumes.
    package var removal: [[String]] { engine.removal(of: name, grace: graceSeconds) }

    /// What the watchdog or `gc` runs when Testbed died: removal without a grace period.
    package var emergencyRemoval: [String] {
        switch engine.flavor {
        case .podman: [engine.path, "rm", "--force", "--volumes", "--ignore", "--time", "0", name]
        case .docker: [engine.path, "rm", "--force", "--volumes", name]
        }
    }
}
