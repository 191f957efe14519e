import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension DetachedRun {
    /// Tears the environment down and returns once its supervisor is gone; throws
    /// ``ControlError`` when it is not.
    ///
    /// The supervisor is asked over the control socket; one that does not answer (stopped,
    /// wedged) gets SIGTERM, then SIGKILL after `patience`, and its watchdog stops the
    /// services. Signals go only to the process recorded in `detached.json` (pid and start
    /// time): a pid now used by another process is never signalled. Permission problems —
    /// the socket or the process belongs to another account — are errors with their cause
    /// (`permissionDenied`), never a silent wait; so is a supervisor that outlives SIGKILL.
    package func tearDown(root: String, patience: Duration = .seconds(60)) throws(ControlError) {
        do {
            let answer = try ControlSocket.send(ControlRequest(.down), to: controlSocket, timeout: .seconds(5))
            if !answer.ok { try signalSupervisor(SIGTERM) }
        } catch let error where error.code == .permissionDenied {
            throw error
        } catch {
            try signalSupervisor(SIGTERM)
            try signalSupervisor(SIGCONT)
        }
        if !waitUntilGone(within: patience) {
            try signalSupervisor(SIGKILL)
            guard waitUntilGone(within: .seconds(5)) else {
                throw ControlError(.stillRunning, "the supervisor of '\(name)' (pid \(pid)) is still running after SIGKILL")
            }
        }
        // A killed supervisor's watchdog needs a moment to stop the services.
        let watchdogList = root + "/.owners/\(pid)"
        let deadline = ContinuousClock.now + .seconds(3)
        while FileManager.default.fileExists(atPath: watchdogList) && ContinuousClock.now < deadline { usleep(20_000) }
        _ = try? Collector(root: root).collect(includingKept: false)
    }

    /// Signals the supervisor if it is still the process that wrote `detached.json`.
    private func signalSupervisor(_ signal: Int32) throws(ControlError) {
        guard let supervisor else {
            throw ControlError(.stillRunning, "the supervisor of '\(name)' (pid \(pid)) does not answer, and its start time "
                + "was not recorded, so it cannot be told from another process with the same pid; stop it by hand")
        }
        switch supervisor.signal(signal) {
        case 0, ESRCH: return
        case let code:
            throw ControlError(code == EPERM ? .permissionDenied : .system,
                               "cannot signal the supervisor of '\(name)' (pid \(pid)): \(String(cString: strerror(code)))"
                               + (code == EPERM ? "; it belongs to another user" : ""))
        }
    }

    private func waitUntilGone(within limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        while isAlive {
            if ContinuousClock.now >= deadline { return false }
            usleep(20_000)
        }
        return true
    }
}
