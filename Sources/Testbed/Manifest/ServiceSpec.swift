/// One service of a manifest: what to run, what it waits for, how to check and stop it.
public struct ServiceSpec: Sendable {
    /// What sort of service this is, with its kind-specific settings.
    public enum Kind: Sendable {
        /// A process Testbed spawns from the manifest's command.
        case process(ProcessSpec)
        /// A PostgreSQL cluster Testbed creates for the run.
        case postgres(PostgresSpec)
        /// An SQLite database file Testbed creates for the run.
        case sqlite(SQLiteSpec)
    }

    /// The service's name: its key in the manifest, used in `${name.key}` references and messages.
    public var name: String
    /// What to run, and its kind-specific settings.
    public var kind: Kind
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
        name: String, kind: Kind, dependsOn: [Dependency] = [], healthcheck: HealthCheckSpec? = nil,
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
    public var kindName: String {
        switch kind {
        case .process: "process"
        case .postgres: "postgres"
        case .sqlite: "sqlite"
        }
    }
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
public struct ProcessSpec: Sendable {
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

/// A PostgreSQL cluster of the run's own.
public struct PostgresSpec: Sendable {
    /// Which PostgreSQL server installation to use.
    public enum Server: Sendable, Hashable {
        /// The newest installed server.
        case newest
        /// A major version, e.g. 15.
        case version(Int)
        /// A folder holding `initdb` and `postgres`.
        case binDirectory(String)
    }

    /// Databases to create; the first is the default (`${svc.database}`, seed target).
    public var databases: [String]
    /// The database superuser role that `initdb` creates and clients connect as (default `postgres`).
    public var user: String
    /// The role's password for TCP logins (`scram-sha-256`), set per run; nil: with TCP, a
    /// random one per run. Not part of the cache key (the cache never holds a password).
    public var password: String?
    /// Server settings (`-c name=value`), over Testbed's test defaults.
    public var settings: [(name: String, value: String)]
    /// Which server installation to use (default: the newest installed).
    public var server: Server
    /// Listen on a loopback TCP port as well as the Unix socket; TCP logins need the password.
    public var tcp: Bool
    /// A fixed TCP port, when the manifest asks for one.
    public var fixedPort: Int?
    /// Unprivileged user to run the server as when Testbed runs as root (default `postgres`).
    public var runAs: String?
    /// Extra `initdb` options (part of the cache key).
    public var initdbOptions: [String]

    /// Makes a PostgreSQL spec; the defaults give one database `app`, user `postgres`, no TCP.
    public init(databases: [String] = ["app"], user: String = "postgres", password: String? = nil,
                settings: [(name: String, value: String)] = [], server: Server = .newest, tcp: Bool = false,
                fixedPort: Int? = nil, runAs: String? = nil, initdbOptions: [String] = []) {
        self.databases = databases
        self.user = user
        self.password = password
        self.settings = settings
        self.server = server
        self.tcp = tcp
        self.fixedPort = fixedPort
        self.runAs = runAs
        self.initdbOptions = initdbOptions
    }
}

/// An SQLite database file of the run's own.
public struct SQLiteSpec: Sendable {
    /// nil: `RUN_DIR/NAME/NAME.sqlite`. Relative paths are against the manifest's folder.
    public var path: Template?
    /// Pragmas applied on every connection Testbed opens; `foreign_keys` is on unless set.
    public var pragmas: [(name: String, value: String)]

    /// Makes an SQLite spec; the defaults put the file in the run directory with no extra pragmas.
    public init(path: Template? = nil, pragmas: [(name: String, value: String)] = []) {
        self.path = path
        self.pragmas = pragmas
    }
}
