/// How Testbed decides that a started service is healthy.
package struct HealthCheckSpec: Sendable {
    /// What a health check asks of the service.
    package enum Probe: Sendable {
        /// A TCP connect to a named port of the service (or a port number).
        case tcp(port: PortReference)
        /// An HTTP GET; healthy when the status matches.
        case http(url: HTTPTarget, status: Int)
        /// A command; healthy when it exits 0.
        case command(CommandSpec)
        /// A regular expression matched against each line the service prints.
        case log(pattern: String)
        /// An SQL query against a database service; healthy when it succeeds.
        case sql(query: String)
    }

    /// A port as a health check names it.
    package enum PortReference: Sendable, Hashable {
        /// A port the service declares under `ports:`, by name (e.g. `http`).
        case named(String)
        /// A literal port number (1–65535).
        case number(Int)
    }

    /// Where an HTTP check sends its GET.
    package enum HTTPTarget: Sendable {
        /// A full URL (may contain placeholders).
        case url(Template)
        /// A path on a named port of the service, on 127.0.0.1.
        case path(String, port: PortReference)
    }

    /// What each attempt checks.
    package var probe: Probe
    /// How often and how long to try.
    package var timing: HealthTiming
    /// Where the check's probe is written in the manifest, for error messages.
    package var location: SourceLocation

    /// Makes a check; a nil `interval` means ``HealthTiming/defaultCommandInterval`` for
    /// command probes, else ``HealthTiming/defaultInterval``, growing to a tenth of the time waited
    /// up to ``HealthTiming/defaultMaxInterval``; an explicit `interval` is kept
    /// between every two attempts.
    package init(probe: Probe, interval: Duration? = nil, timeout: Duration = HealthTiming.defaultTimeout,
                startPeriod: Duration = .zero, deadline: Duration = HealthTiming.defaultDeadline,
                location: SourceLocation) {
        self.probe = probe
        let first: Duration, cap: Duration
        if let interval {
            (first, cap) = (interval, interval)
        } else if case .command = probe {
            (first, cap) = (HealthTiming.defaultCommandInterval, HealthTiming.defaultMaxInterval)
        } else {
            (first, cap) = (HealthTiming.defaultInterval, HealthTiming.defaultMaxInterval)
        }
        self.timing = HealthTiming(interval: first, maxInterval: cap, timeout: timeout, startPeriod: startPeriod,
                                   deadline: deadline)
        self.location = location
    }
}
