import Foundation

/// A database that belongs to one test: a clone of a postgres service's seeded database,
/// or a copy of an sqlite service's seeded file. Handed out by ``DatabasePool/checkout()``.
public struct TestDatabase: Sendable, Hashable, CustomStringConvertible {
    /// What holds the data.
    public enum Kind: Sendable, Hashable {
        /// A database in the service's PostgreSQL cluster.
        case postgres
        /// A file of its own.
        case sqlite
    }

    /// The service it was cloned from.
    public let service: String
    /// PostgreSQL database or SQLite file.
    public let kind: Kind
    /// The PostgreSQL database name (e.g. `shop_t3_9f2c1a`), or the SQLite file's name.
    public let name: String
    /// A URL to connect with: the service's `url` with the database replaced, or `sqlite:///path`.
    public let url: String
    /// The SQLite file (absolute); nil for PostgreSQL.
    public let path: String?

    /// Describes a database; pools make these, tests rarely need to.
    public init(service: String, kind: Kind, name: String, url: String, path: String? = nil) {
        self.service = service
        self.kind = kind
        self.name = name
        self.url = url
        self.path = path
    }

    /// The clone's connection as typed values (socket folder or TCP host, port, user,
    /// password, database) for postgres-nio or Fluent; throws ``PostgresURLError``
    /// for an SQLite database (use ``path``).
    public var postgres: PostgresConnectionInfo {
        get throws(PostgresURLError) {
            guard kind == .postgres else { throw PostgresURLError(url: url, problem: "an sqlite database: use .path") }
            return try PostgresConnectionInfo(url: url)
        }
    }

    /// `service/name (url)`.
    public var description: String { "\(service)/\(name) (\(url))" }

    /// `url` with its database (the URL's path) replaced by `database`, percent-encoded.
    ///
    /// Works for both forms a postgres service exports: socket
    /// (`postgresql://user@/DB?host=/run/dir&port=5432`) and TCP
    /// (`postgresql://user:pw@127.0.0.1:5432/DB`); query parameters are kept.
    public static func postgresURL(_ url: String, replacingDatabaseWith database: String) -> String {
        let encoded = database.addingPercentEncoding(withAllowedCharacters: unreserved) ?? database
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        guard let boundary = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return url + "/" + encoded }
        if url[boundary] == "?" { return url[..<boundary] + "/" + encoded + url[boundary...] }
        let start = url.index(after: boundary)
        let end = url[start...].firstIndex(of: "?") ?? url.endIndex
        return url[..<start] + encoded + url[end...]
    }

    private static let unreserved = CharacterSet(charactersIn:
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
