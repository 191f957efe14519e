/// How Testbed decides that a started service is healthy.
public struct HealthCheckSpec: Sendable {
    /// What a health check asks of the service.
    public enum Probe: Sendable {
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
    public enum PortReference: Sendable, Hashable {
        /// A port the service declares under `ports:`, by name (e.g. `http`).
        case named(String)
        /// A literal port number (1–65535).
        case number(Int)
    }

    /// Where an HTTP check sends its GET.
    public enum HTTPTarget: Sendable {
        /// A full URL (may contain placeholders).
        case url(Template)
        /// A path on a named port of the service, on 127.0.0.1.
        case path(String, port: PortReference)
    }

    /// What each attempt checks.
    public var probe: Probe
    /// Time between the first attempts.
    public var interval: Duration
    /// The longest time between attempts: waits double from ``interval`` up to it. Equal to
    /// ``interval`` (no backoff) when the manifest gives an `interval:`.
    public var maxInterval: Duration
    /// Time one attempt may take.
    public var timeout: Duration
    /// Time after the spawn before the first attempt.
    public var startPeriod: Duration
    /// Overall time from spawn to healthy before the start fails.
    public var deadline: Duration
    /// Where the check's probe is written in the manifest, for error messages.
    public var location: SourceLocation

    /// Time between attempts when the manifest gives none: 5 ms (probes are cheap).
    public static let defaultInterval: Duration = .milliseconds(5)
    /// Time between attempts of a command check when the manifest gives none: 50 ms, since each spawns a process.
    public static let defaultCommandInterval: Duration = .milliseconds(50)
    /// The longest wait between attempts when the manifest gives no `interval:` (backoff cap): 250 ms.
    public static let defaultMaxInterval: Duration = .milliseconds(250)
    /// Time one attempt may take when the manifest gives none: 2 seconds.
    public static let defaultTimeout: Duration = .seconds(2)
    /// Time from spawn to healthy when the manifest gives none: 60 seconds.
    public static let defaultDeadline: Duration = .seconds(60)

    /// Makes a check; a nil `interval` means ``defaultCommandInterval`` for command probes, else
    /// ``defaultInterval``, doubling after each failed attempt up to ``defaultMaxInterval``;
    /// an explicit `interval` is kept between every two attempts.
    public init(probe: Probe, interval: Duration? = nil, timeout: Duration = defaultTimeout,
                startPeriod: Duration = .zero, deadline: Duration = defaultDeadline,
                location: SourceLocation) {
        self.probe = probe
        if let interval {
            self.interval = interval
            self.maxInterval = interval
        } else if case .command = probe {
            self.interval = Self.defaultCommandInterval
            self.maxInterval = Self.defaultMaxInterval
        } else {
            self.interval = Self.defaultInterval
            self.maxInterval = Self.defaultMaxInterval
        }
        self.timeout = timeout
        self.startPeriod = startPeriod
        self.deadline = deadline
        self.location = location
    }
}
