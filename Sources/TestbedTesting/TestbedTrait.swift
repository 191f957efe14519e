import Foundation
import Testbed
import Testing

/// Starts an environment around a suite (or a single test) and binds it to ``TestbedContext/current``.
///
/// Suites naming the same manifest share one environment through ``EnvironmentRegistry``:
/// the first to run starts it, the last to finish stops it. The trait is recursive: every
/// test case in the suite gets its own database scope, so what ``TestbedContext/database(_:)``
/// hands out is dropped when that test case ends. Teardown happens when tests fail or throw,
/// because the scope ends either way; if the test process is killed, `Environment.start()`'s
/// watchdog and `testbed gc` reclaim what it left.
public struct TestbedTrait: SuiteTrait, TestTrait, TestScoping {
    /// The manifest's absolute path.
    public let manifestPath: String
    /// The registry that shares environments (default: ``EnvironmentRegistry/shared``).
    public let registry: EnvironmentRegistry
    /// Every path tried for the manifest, named in the error when none exists.
    let searchedPaths: [String]

    /// True: the tests of the suite (and of nested suites) get a per-test database scope.
    public var isRecursive: Bool { true }

    /// Itself for suites and for each test case; nil for a test function as a whole.
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> TestbedTrait? {
        test.isSuite || testCase != nil ? self : nil
    }

    /// Around a suite: acquires the environment (reusing an enclosing scope's), binds it to
    /// ``TestbedContext/current``, runs the suite and releases it, also when the suite throws. Around a
    /// test case: drops the databases the test checked out when it ends.
    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        if let existing = TestbedContext.scope?.find(manifestPath) {
            if testCase != nil {
                try await existing.forTest().run(function)
            } else {
                try await function()
            }
            return
        }
        if !FileManager.default.fileExists(atPath: manifestPath) {
            throw ManifestPath.missing(manifestPath, tried: searchedPaths)
        }
        let shared = try await registry.acquire(manifest: manifestPath)
        let scope = TestbedScope(shared: shared, parent: TestbedContext.scope, databases: testCase == nil ? nil : TestDatabases())
        do {
            try await scope.run(function)
        } catch {
            await registry.release(shared)
            throw error
        }
        await registry.release(shared)
    }
}

extension Trait where Self == TestbedTrait {
    /// Runs the suite inside the environment of `manifest` (a path relative to the package
    /// root, or to a folder above the test file; or absolute).
    ///
    /// ```swift
    /// @Suite(.testbed("environments/app.yml")) struct AppTests { ... }
    /// ```
    public static func testbed(_ manifest: String, registry: EnvironmentRegistry = .shared,
                               filePath: String = #filePath) -> Self {
        let resolved = ManifestPath(manifest, filePath: filePath)
        return TestbedTrait(manifestPath: resolved.path, registry: registry, searchedPaths: resolved.tried)
    }
}
