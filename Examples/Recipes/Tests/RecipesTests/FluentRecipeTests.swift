import FluentPostgresDriver
import Testing
import TestbedTesting

/// Fluent's configuration for a Testbed PostgreSQL database: the socket when it has one, else TCP.
func fluentConfiguration(_ db: PostgresConnectionInfo) -> DatabaseConfigurationFactory {
    let configuration = if let socket = db.unixSocketPath {
        SQLPostgresConfiguration(unixDomainSocketPath: socket, username: db.user, password: db.password,
                                 database: db.database)
    } else {
        SQLPostgresConfiguration(hostname: db.host!, port: db.port, username: db.user, password: db.password,
                                 database: db.database, tls: .disable)
    }
    return .postgres(configuration: configuration)
}

@Suite(.testbed("environments/recipes.yml"))
struct FluentRecipeTests {
    @Test func fluentQueriesAFreshDatabase() async throws {
        let db = try await TestbedContext.database("db").postgres
        // In a Vapor app: app.databases.use(fluentConfiguration(db), as: .psql)
        let databases = Databases(threadPool: .singleton, on: MultiThreadedEventLoopGroup.singleton)
        databases.use(fluentConfiguration(db), as: .psql)
        let database = try #require(databases.database(logger: Logger(label: "recipes"), on: databases.eventLoopGroup.any()))
        let sql = try #require(database as? any SQLDatabase)
        let rows = try await sql.raw("SELECT sku FROM stock ORDER BY sku").all()
        #expect(try rows.map { try $0.decode(column: "sku", as: String.self) } == ["apple", "pear", "plum"])
        await databases.shutdownAsync()
    }
}
