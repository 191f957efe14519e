/// One step of stopping a service's process group; a teardown is a list of these.
///
/// Teardown is data so tests and the CLI can show it: the process driver uses
/// `[.signal(stopSignal, grace: stopGracePeriod), .kill]`, PostgreSQL an immediate
/// shutdown (`SIGQUIT`) followed by `.kill`. Every list ends in `.kill`, which cannot fail.
package enum TeardownStep: Sendable, Hashable, CustomStringConvertible {
    /// Send `signal` to the whole process group, then wait up to `grace` for it to empty.
    case signal(Int32, grace: Duration)
    /// SIGKILL to the whole process group, then wait for it to empty.
    case kill

    /// The step in words, e.g. `SIGTERM to the group, wait up to 5.0 seconds`.
    package var description: String {
        switch self {
        case .signal(let signal, let grace): "\(signalName(signal)) to the group, wait up to \(grace)"
        case .kill: "SIGKILL to the group"
        }
    }

    /// The standard teardown for a service: its stop signal, its grace period, then SIGKILL.
    package static func standard(signal: Int32, grace: Duration) -> [TeardownStep] {
        [.signal(signal, grace: grace), .kill]
    }
}
