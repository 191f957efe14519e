import Foundation
import TestbedDrivers
import TestbedHTTP
import TestbedHealth
import TestbedLinks
import TestbedModel
import TestbedSeed
import TestbedSystem
import TestbedTapes

extension Environment {
    /// The room a run's directory will need, estimated before the run root is chosen.
    struct RunSize: Sendable, Equatable {
        /// Bytes, margins included.
        var bytes: UInt64
        /// True when every database's size came from its cache entry; false when one is
        /// cold (an estimate from its fixture files, checked again before its copy).
        var isKnown: Bool
    }

    /// Room for the logs and the small files of a run, whatever its services.
    static let runBaseNeed: UInt64 = 1 << 20

    /// What the run's directory will hold at its largest during the start: the run's own
    /// files plus each service's estimate from its kind (``ServiceKind/estimate(_:)``), which
    /// reads the seed steps as the plan resolves them (see ``seeded(_:)``). Nothing here
    /// throws: a service whose seed cannot be resolved counts without its fixtures, and the
    /// start reports it.
    nonisolated func runSize() -> RunSize {
        var size = RunSize(bytes: Self.runBaseNeed, isKnown: true)
        for service in manifest.services {
            let seeded: SeededService
            do {
                seeded = try self.seeded(service)
            } catch {
                seeded = SeededService(name: service.name, location: service.location, spec: service.kind, seed: [],
                                       uncacheable: error.message, path: options.environment["PATH"],
                                       cacheRoot: options.cacheRoot ?? Caches.root(environment: options.environment))
            }
            guard let estimate = ServiceKinds.kind(of: service.kind).estimate(seeded) else { continue }
            size.bytes += estimate.bytes
            size.isKnown = size.isKnown && estimate.isKnown
        }
        return size
    }
}
