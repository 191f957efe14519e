import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem
import TestbedSeed
import TestbedDrivers

extension Environment {
    /// Runs `body` (a service's start) within the service's `start_timeout`.
    ///
    /// When the deadline passes, the start is cancelled: a seed query is cancelled on the
    /// server (libpq's cancel request), a seed command or one-shot job is stopped, a health
    /// check ends. Should the start still not have unwound 5 s later, the driver is stopped
    /// (which ends its server, and with it any libpq call waiting on it). Then throws a
    /// `start-timeout` ``EnvironmentError`` naming what was running — for a seed, the
    /// manifest line of the step and the fixture file and line.
    func withStartDeadline(_ service: PlannedService, driver: any ServiceDriver, stage: StartStage,
                           _ body: @escaping @Sendable () async throws -> Void) async throws {
        let limit = service.startTimeout
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await body()
                return true
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return false
            }
            do {
                if try await group.next() == true {
                    group.cancelAll()
                    return
                }
            } catch {
                group.cancelAll()
                throw error
            }
            let running = stage.current
            group.cancelAll()
            let unwound = Milestone()
            let backstop = Task {
                // A start that ignores cancellation (a blocking call): stop what it waits on.
                try await Task.sleep(for: .seconds(5))
                if !unwound.isReached { await driver.stop() }
            }
            var cause: (any Error)?
            do {
                // The body finishing at the same moment as the deadline still counts.
                if try await group.next() == true { unwound.reach(); backstop.cancel(); return }
            } catch {
                cause = error
            }
            unwound.reach()
            backstop.cancel()
            throw Self.startTimeoutError(service, running: running, cause: cause)
        }
    }

    /// The error for a service that was not ready within its `start_timeout`.
    static func startTimeoutError(_ service: PlannedService, running: String, cause: (any Error)?) -> EnvironmentError {
        var what = running
        var logTail: [String] = []
        var logFile: String?
        if let seed = cause as? SeedError {
            what = "the seed step at \(seed.step.map { "\($0)" } ?? "?") (\(seed.file)\(seed.line.map { ":\($0)" } ?? ""))"
            if let statement = seed.statement { what += ", statement: \(statement)" }
        } else if let failure = cause as? EnvironmentError {
            logTail = failure.logTail
            logFile = failure.logFile
        }
        return EnvironmentError(
            .startTimeout, service: service.name,
            "was not ready within its start_timeout of \(service.startTimeout); still running: \(what)",
            logTail: logTail, logFile: logFile,
            hint: "if it is only slow, raise start_timeout (default 5m) in the service at \(service.location); otherwise find what hangs")
    }

    /// How a one-shot job is stopped when its start times out: its own stop signal and grace.
    static func jobTeardown(_ service: PlannedService) -> [TeardownStep] {
        service.teardown.isEmpty ? TeardownStep.standard(signal: SIGTERM, grace: .seconds(5)) : service.teardown
    }
}
