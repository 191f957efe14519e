import TestbedModel
/// A PostgreSQL cluster of the run's own.
package struct PostgresSpec: ServiceKindSpec {
    /// Which PostgreSQL server installation to use.
    package enum Server: Sendable, Hashable {
        /// The newest installed server.
        case newest
        /// A major version, e.g. 15.
        case version(Int)
        /// A folder holding `initdb` and `postgres`.
        case binDirectory(String)
    }

    /// Databases to create; the first is the default (`${svc.database}`, seed target).
    package var databases: [String]
    /// The database superuser role that `initdb` creates and clients connect as (default `postgres`).
    package var user: String
    /// The role's password for TCP logins (`scram-sha-256`), set per run; nil: with TCP, a
    /// random one per run. Not part of the cache key (the cache never holds a password).
    package var password: String?
    /// Server settings (`-c name=value`), over Testbed's test defaults.
    package var settings: [(name: String, value: String)]
    /// Which server installation to use (default: the newest installed).
    package var server: Server
    /// Listen on a loopback TCP port as well as the Unix socket; TCP logins need the password.
    package var tcp: Bool
    /// A fixed TCP port, when the manifest asks for one.
    package var fixedPort: Int?
    /// Unprivileged user to run the server as when Testbed runs as root (default `postgres`).
    package var runAs: String?
    /// Extra `initdb` options (part of the cache key).
    package var initdbOptions: [String]

    /// `postgres`.
    package var kindName: String { "postgres" }

    /// Makes a PostgreSQL spec; the defaults give one database `app`, user `postgres`, no TCP.
    package init(databases: [String] = ["app"], user: String = "postgres", password: String? = nil,
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
