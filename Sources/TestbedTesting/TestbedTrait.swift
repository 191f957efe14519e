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
///
/// When the scope that stops the environment ends (the last suite using the manifest), each
/// HTTP link whose tape fails the run — a `strict: true` tape that saw a request it had no
/// answer for or kept a recorded exchange unused, or a tape that could not be written — is
/// an `Issue` of that suite (or test), whose comment is what `testbed run` prints: the link,
/// its tape file, and every miss and unused exchange.
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
            await release(shared, of: test)
            throw error
        }
        await release(shared, of: test)
    }

    /// Gives the environment back; when that stopped it, records an issue for each HTTP link
    /// whose tape fails the run (a strict tape with misses or unused exchanges, a tape that
    /// could not be written), with the text `testbed run` prints, at the suite or test's source.
    private func release(_ shared: SharedEnvironment, of test: Test) async {
        guard await registry.release(shared) else { return }
        for failure in shared.environment.links.tapeReports.compactMap(\.failure) {
            Issue.record(Comment(rawValue: failure), sourceLocation: test.sourceLocation)
        }
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
