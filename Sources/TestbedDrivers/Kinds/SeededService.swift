import TestbedModel
import TestbedSeed
/// One service as its kind sees it before a run exists, for its cache key and its size
/// estimate: its settings and its seed steps resolved as the plan resolves them
/// (`Manifest.resolvedSeed(of:resolver:commands:)`), with the caller's variables alone.
package struct SeededService: Sendable {
    /// The service's name in the manifest.
    var name: String
    /// Where the service is defined, for problems.
    var location: SourceLocation
    /// The kind's settings.
    var spec: any ServiceKindSpec
    /// The seed steps; with ``uncacheable`` set, command steps are not resolved (their argv
    /// is nil) and the files alone are known.
    var seed: [PlannedSeedStep]
    /// Why the seeded data has no cache key (a command step that is not cacheable, one that
    /// refers to a run's values, a fixture path that cannot be resolved); nil when it has one.
    var uncacheable: String?
    /// The `PATH` the driver searches for its server: the service's own, else the caller's.
    var path: String?
    /// Root of Testbed's caches.
    var cacheRoot: String

    /// Makes the value from its fields.
    package init(name: String, location: SourceLocation, spec: any ServiceKindSpec, seed: [PlannedSeedStep], uncacheable: String? = nil, path: String? = nil, cacheRoot: String) {
        self.name = name
        self.location = location
        self.spec = spec
        self.seed = seed
        self.uncacheable = uncacheable
        self.path = path
        self.cacheRoot = cacheRoot
    }
}
