import Foundation
import TestbedSystem

/// The connection values of one service, with typed getters that say what is missing.
///
/// ```swift
/// let db = try await environment.service("db")
/// let url = try db.url            // "postgresql://postgres@/shop?host=...&port=..."
/// let port = try db.port          // 5432
/// let path = try notes.path       // an sqlite service's file
/// let pg = try db.postgres        // PostgresConnectionInfo: socket or host, port, user, password, database
/// ```
/// Every getter throws ``ServiceValueError`` naming the service and the key when the value
/// is absent (or, for ``port``, not a number). The raw dictionary stays available in ``all``.
public struct ServiceValues: Sendable, Hashable {
    /// The service's name in the manifest.
    public let service: String
    /// Every value of the service, as the manifest's `${service.key}` references see them.
    public let all: [String: String]

    /// Wraps the values of `service` (usually from `Environment.values`).
    public init(service: String, values: [String: String]) {
        self.service = service
        self.all = values
    }

    /// The value of `key`, or nil.
    package subscript(key: String) -> String? { all[key] }

    /// The value of `key`; throws ``ServiceValueError`` when the service has no such value.
    public func string(_ key: String) throws(ServiceValueError) -> String {
        guard let value = all[key] else {
            throw ServiceValueError(service: service, key: key, reason: .missing, available: all.keys.sorted())
        }
        return value
    }

    /// The value of `key` as an integer; throws ``ServiceValueError`` when absent or not a number.
    public func integer(_ key: String) throws(ServiceValueError) -> Int {
        let text = try string(key)
        guard let number = Int(text) else {
            throw ServiceValueError(service: service, key: key, reason: .notANumber(text), available: all.keys.sorted())
        }
        return number
    }

    /// `url`: a `postgresql://` URL for postgres services, `sqlite:///path` for sqlite services.
    public var url: String { get throws(ServiceValueError) { try string("url") } }
    /// `port`: the port of a postgres service (in the socket's name, or the TCP port).
    public var port: Int { get throws(ServiceValueError) { try integer("port") } }
    /// `path`: the database file of an sqlite service.
    public var path: String { get throws(ServiceValueError) { try string("path") } }
    /// `host`: `127.0.0.1` for a TCP postgres service, else its socket directory.
    public var host: String { get throws(ServiceValueError) { try string("host") } }
    /// `database`: the first database of a postgres service.
    public var database: String { get throws(ServiceValueError) { try string("database") } }
    /// `user`: the role a postgres service's URL connects as.
    public var user: String { get throws(ServiceValueError) { try string("user") } }
    /// `password`: the password of a postgres service's role, or nil when it has none.
    public var password: String? { all["password"].flatMap { $0.isEmpty ? nil : $0 } }

    /// A postgres service's connection as typed values (socket folder or TCP host, port,
    /// user, password, database), ready for postgres-nio or Fluent (docs/swift-testing.md).
    ///
    /// `database` picks another database the manifest lists (default: the first).
    /// Throws ``ServiceValueError`` when the service is not a postgres service.
    public func postgres(database: String? = nil) throws(ServiceValueError) -> PostgresConnectionInfo {
        let host = try string("host")
        let socket = host.hasPrefix("/") ? host : nil
        let name: String
        if let database { name = database } else { name = try self.database }
        return PostgresConnectionInfo(host: socket == nil ? host : nil, socketDirectory: socket, port: try port,
                                  user: try user, password: password, database: name)
    }

    /// ``postgres(database:)`` for the service's first database.
    public var postgres: PostgresConnectionInfo { get throws(ServiceValueError) { try postgres() } }

    /// `ports.NAME`: a port a process service declared under `ports:`.
    public func port(_ name: String) throws(ServiceValueError) -> Int { try integer("ports.\(name)") }
}

/// A service value that the caller asked for and that is absent or malformed.
public struct ServiceValueError: TestbedError, Hashable {
    /// Why the value could not be returned.
    public enum Reason: Sendable, Hashable {
        /// The environment has no service of that name.
        case unknownService
        /// The service has no value of that key.
        case missing
        /// The value is not an integer.
        case notANumber(String)
        /// The environment has not been started (values are known once it is).
        case notStarted
    }

    /// The service asked about.
    public var service: String
    /// The key asked for (empty for ``Reason/unknownService``).
    public var key: String
    /// Why it failed.
    public var reason: Reason
    /// The keys (or, for ``Reason/unknownService``, the services) that do exist.
    public var available: [String]

    /// An error about `key` of `service`; `available` lists what does exist.
    public init(service: String, key: String, reason: Reason, available: [String]) {
        self.service = service
        self.key = key
        self.reason = reason
        self.available = available
    }

    /// What failed, naming the service, the key and what exists instead.
    public var message: String {
        let list = available.joined(separator: ", ")
        switch reason {
        case .unknownService:
            return "there is no service '\(service)' in this environment (services: \(list))"
        case .missing:
            return "service '\(service)' has no value '\(key)' (values: \(list))"
        case .notANumber(let text):
            return "service '\(service)': value '\(key)' is '\(text)', not a number"
        case .notStarted:
            return "service '\(service)': the environment has not been started; call start() first"
        }
    }
}
