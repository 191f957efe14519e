/// One service of a manifest: what to run, what it waits for, how to check and stop it.
public struct ServiceSpec: Sendable {
    public enum Kind: Sendable {
        case process(ProcessSpec)
        case postgres(PostgresSpec)
        case sqlite(SQLiteSpec)
    }

    public var name: String
    public var kind: Kind
    public var dependsOn: [Dependency]
    public var healthcheck: HealthCheckSpec?
    /// Added to the caller's environment for the service's process (and seed commands).
    public var environment: [(name: String, value: Template)]
    /// Fixture steps applied in order (databases only).
    public var seed: [SeedStep]
    /// A one-shot job: exits by itself, and exit status 0 is success.
    public var isJob: Bool
    public var location: SourceLocation

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
    public var name: String
    public var fixed: Int?
    public var location: SourceLocation
}

/// A service that is a process the manifest describes.
public struct ProcessSpec: Sendable {
    public var command: CommandSpec
    /// Relative to the manifest's folder; nil means the manifest's folder.
    public var workingDirectory: Template?
    public var ports: [PortSpec]
    public var stopSignal: Int32
    public var stopGracePeriod: Duration

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
    public var user: String
    public var password: String?
    /// Server settings (`-c name=value`), over Testbed's test defaults.
    public var settings: [(name: String, value: String)]
    public var server: Server
    /// Listen on a loopback TCP port as well as the Unix socket.
    public var tcp: Bool
    /// A fixed TCP port, when the manifest asks for one.
    public var fixedPort: Int?
    /// Unprivileged user to run the server as when Testbed runs as root (default `postgres`).
    public var runAs: String?
    /// Extra `initdb` options (part of the cache key).
    public var initdbOptions: [String]

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

    public init(path: Template? = nil, pragmas: [(name: String, value: String)] = []) {
        self.path = path
        self.pragmas = pragmas
    }
}
