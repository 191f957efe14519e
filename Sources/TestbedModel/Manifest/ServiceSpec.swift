/// One service of a manifest: what to run, what it waits for, how to check and stop it.
public struct ServiceSpec: Sendable {
    /// The service's name: its key in the manifest, used in `${name.key}` references and messages.
    package var name: String
    /// What sort of service this is, with its kind-specific settings: a ``ProcessSpec``
    /// (a process Testbed spawns from the manifest's command), a `PostgresSpec` or an
    /// `SQLiteSpec` (a database Testbed creates for the run), …
    package var kind: any ServiceKindSpec
    /// Services that must be ready (or in the stated condition) before this one starts.
    package var dependsOn: [Dependency]
    /// How to tell that the service is healthy; nil: it counts as healthy once started.
    package var healthcheck: HealthCheckSpec?
    /// Added to the caller's environment for the service's process (and seed commands).
    package var environment: [(name: String, value: Template)]
    /// Fixture steps applied in order (databases only).
    package var seed: [SeedStep]
    /// A one-shot job: exits by itself, and exit status 0 is success.
    package var isJob: Bool
    /// Where the service is defined in the manifest, for error messages.
    package var location: SourceLocation
    /// How long the service may take, once its dependencies are ready, until it is ready:
    /// spawn, database files, seeding (seed commands too), a one-shot job's run and the
    /// health check (`start_timeout:`, default ``defaultStartTimeout``).
    package var startTimeout: Duration = ServiceSpec.defaultStartTimeout

    /// The start timeout of a service whose manifest sets none: 5 minutes.
    package static let defaultStartTimeout: Duration = .seconds(300)

    /// Makes a service spec from parts; it is not validated (``ManifestLoader`` does that).
    package init(
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
    package var kindName: String { kind.kindName }

    /// The process settings of a process service; nil for another kind.
    package var process: ProcessSpec? { kind as? ProcessSpec }
}

/// A named loopback port: a free one is chosen for each run unless `fixed` is set.
package struct PortSpec: Sendable, Hashable {
    /// The port's name, as used in `${service.ports.NAME}` and in health checks.
    package var name: String
    /// The number the manifest insists on; nil: a free port is chosen for each run.
    package var fixed: Int?
    /// Where the port is declared in the manifest, for error messages.
    package var location: SourceLocation

    /// Makes the value from its fields.
    package init(name: String, fixed: Int? = nil, location: SourceLocation) {
        self.name = name
        self.fixed = fixed
        self.location = location
    }
}

/// A service that is a process the manifest describes.
package struct ProcessSpec: ServiceKindSpec {
    /// What to run, resolved when the run is planned.
    package var command: CommandSpec
    /// Relative to the manifest's folder; nil means the manifest's folder.
    package var workingDirectory: Template?
    /// Loopback ports reserved for the service before it starts.
    package var ports: [PortSpec]
    /// The signal sent to the service's process group to stop it (default SIGTERM, 15).
    package var stopSignal: Int32
    /// How long to wait after ``stopSignal`` before SIGKILL (default 5 seconds).
    package var stopGracePeriod: Duration
    /// Files written into the service's folder before it starts (`files:`).
    package var files: [ServiceFileSpec] = []
    /// The account to run as (`user:`); nil: the caller's.
    package var user: ServiceUserSpec?
    /// The service's connection URL (`url:`), the value `${name.url}`; placeholders in its
    /// user-information part are percent-encoded.
    package var url: Template?
    /// The preset the service was made from (`redis:`, `pgbouncer:`, …), if any.
    package var preset: String?
    /// The program the preset needs and its Debian package.
    package var requires: RequiredProgram?
    /// True when the service has a `password` value: a secret generated for each run
    /// (presets of servers that can ask clients for one, e.g. `redis`).
    package var generatesPassword = false
    /// Services whose password the service logs in with (a `pgbouncer` preset's `target`):
    /// a `postgres` one without a `password:` gets one generated for the run.
    package var logsInTo: [String] = []

    /// `process`.
    package var kindName: String { "process" }

    /// Makes a process spec; defaults: the manifest's folder, no ports, SIGTERM, 5 seconds' grace.
    package init(command: CommandSpec, workingDirectory: Template? = nil, ports: [PortSpec] = [],
                stopSignal: Int32 = 15, stopGracePeriod: Duration = .seconds(5)) {
        self.command = command
        self.workingDirectory = workingDirectory
        self.ports = ports
        self.stopSignal = stopSignal
        self.stopGracePeriod = stopGracePeriod
    }
}
