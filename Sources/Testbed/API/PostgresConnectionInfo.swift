import Foundation
import TestbedSystem

/// How to reach one PostgreSQL database, as separate typed values a client library takes
/// (postgres-nio's `PostgresClient.Configuration`, Fluent's `SQLPostgresConfiguration`).
///
/// ```swift
/// let db = try await environment.service("db").postgres
/// let configuration = PostgresClient.Configuration(
///     unixSocketPath: db.unixSocketPath!, username: db.user, password: db.password, database: db.database)
/// ```
/// A service reached through its Unix socket has ``socketDirectory`` (and ``unixSocketPath``)
/// and no ``host``; a `tcp: true` service has ``host`` (`127.0.0.1`) and no socket.
public struct PostgresConnectionInfo: Sendable, Hashable, CustomStringConvertible {
    /// The TCP host (`127.0.0.1`), or nil when the database is reached through a Unix socket.
    public var host: String?
    /// The folder holding the server's socket, or nil over TCP.
    public var socketDirectory: String?
    /// The server's port: the TCP port, or the number in the socket's name.
    public var port: Int
    /// The role to connect as.
    public var user: String
    /// The role's password, or nil when the server needs none (a socket with `trust`).
    public var password: String?
    /// The database name.
    public var database: String

    /// Describes a connection; ``ServiceValues/postgres``, ``TestDatabase/postgres`` and
    /// ``init(url:)`` make these.
    public init(host: String?, socketDirectory: String?, port: Int, user: String, password: String?, database: String) {
        self.host = host
        self.socketDirectory = socketDirectory
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// The socket file itself, `<socketDirectory>/.s.PGSQL.<port>`: what postgres-nio's
    /// `unixSocketPath:` and Fluent's `unixDomainSocketPath:` take. Nil over TCP.
    public var unixSocketPath: String? { socketDirectory.map { "\($0)/.s.PGSQL.\(port)" } }

    /// The same connection to another database of the same server.
    public func replacingDatabase(with database: String) -> PostgresConnectionInfo {
        var copy = self
        copy.database = database
        return copy
    }

    /// A `postgresql://` URL libpq and `psql` accept: `postgresql://user@/db?host=DIR&port=N`
    /// for a socket, `postgresql://user:pw@HOST:PORT/db` over TCP.
    public var url: String {
        var auth = Self.encode(user)
        if let password, !password.isEmpty { auth += ":" + Self.encode(password) }
        if let socketDirectory {
            let directory = socketDirectory.addingPercentEncoding(withAllowedCharacters: Self.unreserved.union(["/"]))
            return "postgresql://\(auth)@/\(Self.encode(database))?host=\(directory ?? socketDirectory)&port=\(port)"
        }
        return "postgresql://\(auth)@\(host ?? "127.0.0.1"):\(port)/\(Self.encode(database))"
    }

    /// `user@socket-or-host:port/database`, never the password.
    public var description: String { "\(user)@\(unixSocketPath ?? "\(host ?? "?"):\(port)")/\(database)" }

    /// Parses the two URL forms Testbed exports (see ``url``), e.g. an export
    /// `DATABASE_URL: ${db.url}`; a `host` query parameter starting with `/` is a socket folder.
    ///
    /// Throws ``PostgresURLError`` naming the URL (without its password) and what is missing.
    public init(url: String) throws(PostgresURLError) {
        guard let components = URLComponents(string: url),
              components.scheme == "postgresql" || components.scheme == "postgres" else {
            throw PostgresURLError(url: url, problem: "not a postgresql:// URL")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        let hostValue = query["host"] ?? components.percentEncodedHost.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding }
        guard let hostValue else { throw PostgresURLError(url: url, problem: "no host (and no host= socket folder)") }
        guard let port = query["port"].flatMap({ Int($0) }) ?? components.port ?? (hostValue.hasPrefix("/") ? nil : 5432) else {
            throw PostgresURLError(url: url, problem: "no port")
        }
        let user = query["user"] ?? components.percentEncodedUser?.removingPercentEncoding
        guard let user, !user.isEmpty else { throw PostgresURLError(url: url, problem: "no user") }
        let database = query["dbname"] ?? String(components.percentEncodedPath.dropFirst()).removingPercentEncoding ?? ""
        guard !database.isEmpty else { throw PostgresURLError(url: url, problem: "no database") }
        let password = query["password"] ?? components.percentEncodedPassword?.removingPercentEncoding
        let socket = hostValue.hasPrefix("/")
        self.init(host: socket ? nil : hostValue, socketDirectory: socket ? hostValue : nil, port: port, user: user,
                  password: password.flatMap { $0.isEmpty ? nil : $0 }, database: database)
    }

    private static func encode(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text }

    private static let unreserved = CharacterSet(charactersIn:
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}

/// A URL that ``PostgresConnectionInfo/init(url:)`` could not read.
public struct PostgresURLError: TestbedError, Hashable {
    /// The URL, with any password replaced by `***`.
    public var url: String
    /// What is wrong with it.
    public var problem: String

    /// An error about `url` (its password is masked here).
    public init(url: String, problem: String) {
        self.url = url.replacingOccurrences(of: #"(://[^:@/]*:)[^@]*@"#, with: "$1***@", options: .regularExpression)
        self.problem = problem
    }

    /// `cannot read PostgreSQL URL '<url>': <problem>`.
    public var message: String { "cannot read PostgreSQL URL '\(url)': \(problem)" }
}
