import Foundation

/// One service's state, as `testbed status` shows it.
package struct ServiceStatus: Sendable, Codable {
    /// The service's name in the manifest.
    package var name: String
    /// `process`, `postgres` or `sqlite`.
    package var kind: String
    /// The main process, for services that have one.
    package var pid: Int32?
    /// `healthy`, `completed`, `starting`, `exited (…)` or `stopped`.
    package var state: String
    /// The service's values (ports, URLs, paths).
    package var values: [String: String]
}

extension Environment {
    /// The state of every service, in manifest order.
    package func statuses() -> [ServiceStatus] {
        manifest.services.map { service in
            let process = processes[service.name]
            let reached = milestones[service.name]
            var state = "starting"
            if machine.isDown {
                state = "stopped"
            } else if let status = process?.exitStatus {
                state = service.isJob && status.isSuccess ? "completed" : "exited (\(status))"
            } else if reached?.healthy.isReached == true {
                state = "healthy"
            }
            return ServiceStatus(name: service.name, kind: service.kindName, pid: process?.pid, state: state,
                                 values: values[service.name] ?? [:])
        }
    }

    /// True once every service is healthy (or completed) and until teardown begins.
    package var isReady: Bool { machine.isReady }
}
