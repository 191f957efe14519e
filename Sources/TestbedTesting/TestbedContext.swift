import Foundation
import Testbed
import TestbedSystem

/// What a test running inside a `.testbed(...)` scope can reach: the environment, its
/// services' values, and databases of its own.
///
/// ```swift
/// @Suite(.testbed("environments/app.yml"))
/// struct OrderTests {
///     @Test func totals() async throws {
///         let environment = try TestbedContext.current
///         let database = try await TestbedContext.database("db")   // dropped when the test ends
///         ...
///     }
/// }
/// ```
/// Named so that it does not shadow the `Testbed` module: module-qualified names such as
/// `Testbed.Environment` work (useful next to Vapor, whose `Environment` is another type).
public enum TestbedContext {
    /// The scope bound by ``TestbedTrait`` (or by ``withEnvironment(_:databases:_:)``).
    @TaskLocal public static var scope: TestbedScope?

    /// The environment of the innermost `.testbed(...)` scope.
    ///
    /// Throws ``TestbedScopeError`` outside such a scope (add the trait to the suite).
    public static var current: Environment {
        get throws(TestbedScopeError) { try requireScope().shared.environment }
    }

    /// The values of `service` in the innermost environment that has it
    /// (`try await TestbedContext.service("db").url`). Throws ``TestbedScopeError`` or `ServiceValueError`.
    public static func service(_ name: String) async throws -> ServiceValues {
        try await owner(of: name).shared.environment.service(name)
    }

    /// The link `name` of the innermost environment, to inject faults from a test:
    /// `try await TestbedContext.link("app-db").with(.latency(.milliseconds(300))) { … }`.
    /// Throws ``TestbedScopeError`` outside a scope or when no environment in it has the link.
    public static func link(_ name: String) throws -> Link {
        try owner(of: name).shared.environment.link(name)
    }

    /// A database of this test's own: a fresh clone of a postgres service's seeded database,
    /// or a copy of an sqlite service's file, from the environment's `DatabasePool`.
    ///
    /// Inside a test it is dropped when the test ends (passed, failed or thrown); called at
    /// suite level it lives until the environment's last user releases it. Each call
    /// returns another database. Throws ``TestbedScopeError`` or `EnvironmentError`.
    public static func database(_ service: String) async throws -> TestDatabase {
        let scope = try requireScope()
        let pool = try await owner(of: service).shared.pool(for: service)
        let database = try await pool.checkout()
        await scope.databases?.add(database, from: pool)
        return database
    }

    /// The pool behind ``database(_:)`` for `service`, e.g. to check databases in early.
    public static func pool(_ service: String) async throws -> DatabasePool {
        try await owner(of: service).shared.pool(for: service)
    }

    /// Runs `body` with `shared` as the current environment and, when `databases` is true, a
    /// per-call database scope: what ``database(_:)`` hands out inside is dropped at the end.
    public static func withEnvironment<T: Sendable>(_ shared: SharedEnvironment, databases: Bool = true,
                                                     _ body: @Sendable () async throws -> T) async throws -> T {
        let scope = TestbedScope(shared: shared, parent: Self.scope, databases: databases ? TestDatabases() : nil)
        return try await scope.run(body)
    }

    static func requireScope() throws(TestbedScopeError) -> TestbedScope {
        guard let scope else {
            throw TestbedScopeError("no Testbed environment in this task",
                                    hint: "add .testbed(\"environments/<name>.yml\") to the suite or test")
        }
        return scope
    }

    static func owner(of service: String) throws(TestbedScopeError) -> TestbedScope {
        let scope = try requireScope()
        var current: TestbedScope? = scope
        while let candidate = current {
            let manifest = candidate.shared.manifest
            if manifest.service(named: service) != nil || manifest.links.contains(where: { $0.name == service }) { return candidate }
            current = candidate.parent
        }
        let names = scope.shared.manifest.services.map(\.name).joined(separator: ", ")
        throw TestbedScopeError("no service '\(service)' in \(scope.shared.manifestPath)", hint: "services: \(names)")
    }
}

/// One `.testbed(...)` scope: its shared environment, the enclosing scope (another manifest),
/// and the databases handed out in the current test.
public final class TestbedScope: Sendable {
    /// The environment of this scope.
    public let shared: SharedEnvironment
    /// The enclosing scope of a different manifest, if any.
    public let parent: TestbedScope?
    let databases: TestDatabases?

    init(shared: SharedEnvironment, parent: TestbedScope?, databases: TestDatabases?) {
        self.shared = shared
        self.parent = parent
        self.databases = databases
    }

    /// This scope or an enclosing one started from `manifestPath`.
    func find(_ manifestPath: String) -> TestbedScope? {
        var current: TestbedScope? = self
        while let scope = current {
            if scope.shared.manifestPath == manifestPath { return scope }
            current = scope.parent
        }
        return nil
    }

    /// The same scope with a new set of per-test databases.
    func forTest() -> TestbedScope { TestbedScope(shared: shared, parent: parent, databases: TestDatabases()) }

    /// Runs `body` with this scope bound, then checks in the databases handed out in it,
    /// also when `body` throws.
    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        do {
            let result = try await TestbedContext.$scope.withValue(self) { try await body() }
            await databases?.checkinAll()
            return result
        } catch {
            await databases?.checkinAll()
            throw error
        }
    }
}

/// The databases handed out during one test, dropped when it ends.
actor TestDatabases {
    private var handedOut: [(database: TestDatabase, pool: DatabasePool)] = []

    func add(_ database: TestDatabase, from pool: DatabasePool) { handedOut.append((database, pool)) }

    func checkinAll() async {
        let all = handedOut
        handedOut = []
        // A failed drop is retried when the pool shuts down.
        for (database, pool) in all { try? await pool.checkin(database) }
    }
}

/// Testbed was asked for something outside a `.testbed(...)` scope, or for a service its
/// environments do not have.
public struct TestbedScopeError: TestbedError {
    /// What went wrong.
    public var message: String
    /// What to do about it.
    public var hint: String?

    /// An error with `message` and, optionally, what to do about it.
    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    /// The message followed by the hint.
    public var description: String { message + (hint.map { " (hint: \($0))" } ?? "") }
}
