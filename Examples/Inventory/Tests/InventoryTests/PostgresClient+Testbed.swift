import PostgresNIO
import TestbedTesting

/// A postgres-nio client on a fresh database of this test's own (dropped when the test ends),
/// running while `body` runs.
func withClient<T: Sendable>(_ body: (PostgresClient) async throws -> T) async throws -> T {
    let db = try await TestbedContext.database("db").postgres
    let configuration = if let socket = db.unixSocketPath {
        PostgresClient.Configuration(unixSocketPath: socket, username: db.user, password: db.password,
                                     database: db.database)
    } else {
        PostgresClient.Configuration(host: db.host!, port: db.port, username: db.user, password: db.password,
                                     database: db.database, tls: .disable)
    }
    let client = PostgresClient(configuration: configuration)
    return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        return try await body(client)
    }
}
