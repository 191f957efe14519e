import Foundation
import Testbed

/// Starts each manifest's environment once for all the suites that use it at the same time,
/// and stops it when the last of them is done (reference counting, keyed by the manifest's
/// absolute path).
///
/// The ``TestbedTrait`` and ``TestbedXCTest`` use ``shared``. Callers that overlap share one
/// start (a second acquirer waits for the first start); a release that brings the count to
/// zero shuts the pools down and stops the environment before it returns. An acquire that
/// arrives while that stop runs waits for it, then starts a new environment.
public actor EnvironmentRegistry {
    /// Makes (but does not start) the environment of a manifest path.
    public typealias Factory = @Sendable (_ manifestPath: String) async throws -> Environment

    /// The process-wide registry.
    public static let shared = EnvironmentRegistry()

    private struct Entry {
        var users: Int
        let start: Task<SharedEnvironment, any Error>
    }

    private let factory: Factory
    private let poolOptions: DatabasePool.Options
    private var entries: [String: Entry] = [:]
    private var stopping: [String: Task<Void, Never>] = [:]

    /// A registry whose environments come from `factory` (default: `Environment(path:)` with
    /// default options) and whose pools use `poolOptions`.
    public init(poolOptions: DatabasePool.Options = DatabasePool.Options(),
                factory: @escaping Factory = { try Environment(path: $0) }) {
        self.poolOptions = poolOptions
        self.factory = factory
    }

    /// Returns the running environment of `manifest` (an absolute path), starting it if no
    /// one holds it. Every successful call must be balanced by ``release(_:)``.
    ///
    /// Throws what `Environment.start()` throws (`ManifestError`, `EnvironmentError`);
    /// a failed acquire needs no release.
    public func acquire(manifest: String) async throws -> SharedEnvironment {
        OrphanWatch.watch(self)
        while let stop = stopping[manifest] { await stop.value }
        let entry: Entry
        if var existing = entries[manifest] {
            existing.users += 1
            entries[manifest] = existing
            entry = existing
        } else {
            let factory = self.factory, options = poolOptions
            let start = Task {
                let environment = try await factory(manifest)
                try await environment.start()
                return SharedEnvironment(environment: environment, manifest: environment.manifest, manifestPath: manifest, poolOptions: options)
            }
            entry = Entry(users: 1, start: start)
            entries[manifest] = entry
        }
        do {
            return try await entry.start.value
        } catch {
            await leave(manifest)
            throw error
        }
    }

    /// Gives back an environment from ``acquire(manifest:)``; the last user's release shuts
    /// its pools down and stops it, and returns once it is torn down.
    ///
    /// Returns true when this release stopped the environment: then its links have stopped
    /// and `environment.links.tapeReports` is complete (``TestbedTrait`` records the tape
    /// failures there as issues).
    @discardableResult
    public func release(_ shared: SharedEnvironment) async -> Bool {
        await leave(shared.manifestPath)
    }

    /// Stops every environment this registry holds, users or not (the test process was
    /// orphaned, see ``OrphanWatch``); later releases find nothing left to stop.
    func stopAll() async {
        let all = entries.values.map(\.start)
        for start in all {
            guard let shared = try? await start.value else { continue }
            await shared.shutdownPools()
            await shared.environment.stop()
        }
    }

    /// How many users hold the environment of `manifest` now.
    public func users(of manifest: String) -> Int { entries[manifest]?.users ?? 0 }

    /// Drops one user of `manifest`; true when that was the last one (the environment is stopped).
    @discardableResult
    private func leave(_ manifest: String) async -> Bool {
        guard var entry = entries[manifest] else { return false }
        entry.users -= 1
        guard entry.users == 0 else {
            entries[manifest] = entry
            return false
        }
        entries[manifest] = nil
        let start = entry.start
        let stop = Task {
            // A failed start has already torn down what it started.
            guard let shared = try? await start.value else { return }
            await shared.shutdownPools()
            await shared.environment.stop()
        }
        stopping[manifest] = stop
        await stop.value
        stopping[manifest] = nil
        return true
    }
}
