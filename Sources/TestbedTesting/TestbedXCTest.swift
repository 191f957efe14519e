import Dispatch
import Foundation
import Synchronization
import Testbed

/// An environment for an XCTest class: started on the first ``start()``, shared through
/// ``EnvironmentRegistry/shared`` with every other user of the same manifest, stopped by
/// ``stop()``.
///
/// ```swift
/// final class ShopXCTests: XCTestCase {
///     static let testbed = TestbedXCTest(manifest: "environments/shop.yml")
///     override func setUp() async throws { _ = try await Self.testbed.start() }
///     override func tearDown() async throws { await Self.testbed.checkinDatabases() }
///     override class func tearDown() { testbed.stopAndWait() }
///
///     func testUsers() async throws {
///         let database = try await Self.testbed.database("db")
///         ...
///     }
/// }
/// ```
/// It does not import XCTest, so the same object serves any test framework.
public final class TestbedXCTest: Sendable {
    /// The manifest's absolute path.
    public let manifestPath: String
    private let registry: EnvironmentRegistry
    private let searchedPaths: [String]
    private let starting = Mutex<Task<SharedEnvironment, any Error>?>(nil)
    private let databases = TestDatabases()

    /// `manifest` is resolved like ``TestbedTrait``'s: against the current directory, then
    /// the folders above the calling file.
    public init(manifest: String, registry: EnvironmentRegistry = .shared, filePath: String = #filePath) {
        let resolved = ManifestPath(manifest, filePath: filePath)
        self.manifestPath = resolved.path
        self.searchedPaths = resolved.tried
        self.registry = registry
    }

    /// Starts the environment on the first call (later calls wait for that start and return
    /// it). Throws what `Environment.start()` throws; a failed start is reported to every caller.
    @discardableResult
    public func start() async throws -> Environment {
        let task = starting.withLock { task in
            if let task { return task }
            let registry = self.registry, path = manifestPath, tried = searchedPaths
            let made = Task {
                guard FileManager.default.fileExists(atPath: path) else { throw ManifestPath.missing(path, tried: tried) }
                return try await registry.acquire(manifest: path)
            }
            task = made
            return made
        }
        return try await task.value.environment
    }

    /// A database of the caller's own (see ``TestbedContext/database(_:)``), dropped by
    /// ``checkinDatabases()`` or ``stop()``. Starts the environment if needed.
    public func database(_ service: String) async throws -> TestDatabase {
        try await start()
        guard let task = starting.withLock({ $0 }) else { throw TestbedScopeError("the environment was stopped") }
        let pool = try await task.value.pool(for: service)
        let database = try await pool.checkout()
        await databases.add(database, from: pool)
        return database
    }

    /// Drops the databases handed out since the last call (call it from `tearDown()`).
    public func checkinDatabases() async { await databases.checkinAll() }

    /// Drops the databases and gives the environment back to the registry (which stops it
    /// unless another user holds it). A later ``start()`` starts it again.
    public func stop() async {
        await databases.checkinAll()
        let task = starting.withLock { task in
            defer { task = nil }
            return task
        }
        if let task, let shared = try? await task.value { await registry.release(shared) }
    }

    /// ``stop()`` for synchronous callers such as `override class func tearDown()`: blocks
    /// the calling thread until the environment is torn down.
    @available(*, noasync, message: "use await stop()")
    public func stopAndWait() {
        let done = DispatchSemaphore(value: 0)
        Task {
            await self.stop()
            done.signal()
        }
        done.wait()
    }
}
