/// One service of a manifest: what to run, what it waits for, how to check and stop it.
public struct ServiceSpec: Sendable {
    /// The service's name: its key in the manifest, used in `${name.key}` references and messages.
    public var name: String
    /// What sort of service this is, with its kind-specific settings: a ``ProcessSpec``
    /// (a process Testbed spawns from the manifest's command), a `PostgresSpec` or an
    /// `SQLiteSpec` (a database Testbed creates for the run), …
    public var kind: any ServiceKindSpec
    /// Services that must be ready (or in the stated condition) before this one starts.
    public var dependsOn: [Dependency]
    /// How to tell that the service is healthy; nil: it counts as healthy once started.
    public var healthcheck: HealthCheckSpec?
    /// Added to the caller's environment for the service's process (and seed commands).
    public var environment: [(name: String, value: Template)]
    /// Fixture steps applied in order (databases only).
    public var seed: [SeedStep]
    /// A one-shot job: exits by itself, and exit status 0 is success.
    public var isJob: Bool
    /// Where the service is defined in the manifest, for error messages.
    public var location: SourceLocation
    /// How long the service may take, once its dependencies are ready, until it is ready:
    /// spawn, database files, seeding (seed commands too), a one-shot job's run and the
    /// health check (`start_timeout:`, default ``defaultStartTimeout``).
    public var startTimeout: Duration = ServiceSpec.defaultStartTimeout

    /// The start timeout of a service whose manifest sets none: 5 minutes.
    public static let defaultStartTimeout: Duration = .seconds(300)

    /// Makes a service spec from parts; it is not validated (``ManifestLoader`` does that).
    public init(
        name: String, kind: any ServiceKindSpec, dependsOn: [Dependency] = [], healthcheck: HealthCheckSpec? = nil,
        environment: [(name: String, value: Template)] = [], seed: [SeedStep] = [], isJob: Bool = false,
        location: SourceLocation
    ) {
        self.name = name
        self.kind = kind
        self.dependsOn = dependsOn
        self.healthcheck = healthcheck
        self.environment = environment
        self.seed = seed
        self.isJob = isJob
        self.location = location
    }

    /// The short word for the kind, as the CLI prints it.
    public var kindName: String { kind.kindName }

    /// The process settings of a process service; nil for another kind.
    public var process: ProcessSpec? { kind as? ProcessSpec }
}

/// A named loopback port: a free one is chosen for each run unless `fixed` is set.
public struct PortSpec: Sendable, Hashable {
    /// The port's name, as used in `${service.ports.NAME}` and in health checks.
    public var name: String
    /// The number the manifest insists on; nil: a free port is chosen for each run.
    public var fixed: Int?
    /// Where the port is declared in the manifest, for error messages.
    public var location: SourceLocation
}

/// A service that is a process the manifest describes.
public struct ProcessSpec: ServiceKindSpec {
    /// What to run, resolved when the run is planned.
    public var command: CommandSpec
    /// Relative to the manifest's folder; nil means the manifest's folder.
    public var workingDirectory: Template?
    /// Loopback ports reserved for the service before it starts.
    public var ports: [PortSpec]
    /// The signal sent to the service's process group to stop it (default SIGTERM, 15).
    public var stopSignal: Int32
    /// How long to wait after ``stopSignal`` before SIGKILL (default 5 seconds).
    public var stopGracePeriod: Duration
    /// Files written into the service's folder before it starts (`files:`).
    public var files: [ServiceFileSpec] = []
    /// The account to run as (`user:`); nil: the caller's.
    public var user: ServiceUserSpec?
    /// The service's connection URL (`url:`), the value `${name.url}`; placeholders in its
    /// user-information part are percent-encoded.
    public var url: Template?
    /// The preset the service was made from (`redis:`, `pgbouncer:`, …), if any.
    public var preset: String?
    /// The program the preset needs and its Debian package.
    public var requires: RequiredProgram?
    /// True when the service has a `password` value: a secret generated for each run
    /// (presets of servers that can ask clients for one, e.g. `redis`).
    public var generatesPassword = false
    /// Services whose password the service logs in with (a `pgbouncer` preset's `target`):
    /// a `postgres` one without a `password:` gets one generated for the run.
    public var logsInTo: [String] = []

    /// `process`.
    public var kindName: String { "process" }

    /// Makes a process spec; defaults: the manifest's folder, no ports, SIGTERM, 5 seconds' grace.
    public init(command: CommandSpec, workingDirectory: Template? = nil, ports: [PortSpec] = [],
                stopSignal: Int32 = 15, stopGracePeriod: Duration = .seconds(5)) {
        self.command = command
        self.workingDirectory = workingDirectory
        self.ports = ports
        self.stopSignal = stopSignal
        self.stopGracePeriod = stopGracePeriod
    }
}
