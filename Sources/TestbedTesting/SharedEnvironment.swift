import Foundation
import Testbed
import TestbedModel

/// A started environment shared by every suite (or XCTest class) that uses the same manifest,
/// with one `DatabasePool` per database service, made on first use.
///
/// Obtained from ``EnvironmentRegistry/acquire(manifest:)``; the registry shuts the pools
/// down and stops the environment when its last user releases it.
public actor SharedEnvironment {
    /// The started environment.
    public nonisolated let environment: Environment
    /// The absolute path of the manifest it was started from (the registry's key).
    public nonisolated let manifestPath: String
    /// The manifest the environment runs.
    public nonisolated let manifest: Manifest
    /// The options of every pool made here.
    public nonisolated let poolOptions: DatabasePool.Options
    private var pools: [String: Task<DatabasePool, any Error>] = [:]

    init(environment: Environment, manifest: Manifest, manifestPath: String, poolOptions: DatabasePool.Options) {
        self.environment = environment
        self.manifest = manifest
        self.manifestPath = manifestPath
        self.poolOptions = poolOptions
    }

    /// The pool of per-test databases of `service` (a postgres or sqlite service); the
    /// first call makes it and starts filling it. Throws `EnvironmentError`.
    public func pool(for service: String) async throws -> DatabasePool {
        if let pool = pools[service] { return try await pool.value }
        let environment = self.environment, options = poolOptions
        let making = Task { try await DatabasePool(environment: environment, service: service, options: options) }
        pools[service] = making
        do {
            return try await making.value
        } catch {
            pools[service] = nil
            throw error
        }
    }

    /// Drops every database of every pool; later ``pool(for:)`` calls make new pools.
    func shutdownPools() async {
        let making = pools
        pools = [:]
        for task in making.values {
            if let pool = try? await task.value { await pool.shutdown() }
        }
    }
}
