/// How Testbed decides that a started service is healthy.
public struct HealthCheckSpec: Sendable {
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

    public enum PortReference: Sendable, Hashable {
        case named(String)
        case number(Int)
    }

    public enum HTTPTarget: Sendable {
        /// A full URL (may contain placeholders).
        case url(Template)
        /// A path on a named port of the service, on 127.0.0.1.
        case path(String, port: PortReference)
    }

    public var probe: Probe
    /// Time between attempts.
    public var interval: Duration
    /// Time one attempt may take.
    public var timeout: Duration
    /// Time after the spawn before the first attempt.
    public var startPeriod: Duration
    /// Overall time from spawn to healthy before the start fails.
    public var deadline: Duration
    public var location: SourceLocation

    public static let defaultInterval: Duration = .milliseconds(5)
    public static let defaultCommandInterval: Duration = .milliseconds(50)
    public static let defaultTimeout: Duration = .seconds(2)
    public static let defaultDeadline: Duration = .seconds(60)

    public init(probe: Probe, interval: Duration? = nil, timeout: Duration = defaultTimeout,
                startPeriod: Duration = .zero, deadline: Duration = defaultDeadline,
                location: SourceLocation) {
        self.probe = probe
        if let interval {
            self.interval = interval
        } else if case .command = probe {
            self.interval = Self.defaultCommandInterval
        } else {
            self.interval = Self.defaultInterval
        }
        self.timeout = timeout
        self.startPeriod = startPeriod
        self.deadline = deadline
        self.location = location
    }
}
