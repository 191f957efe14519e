import Foundation

extension Environment {
    /// Makes the driver of a postgres or sqlite service.
    func makeDatabaseDriver(_ service: ServiceSpec, run: RunDirectory, cacheRoot: String, port: PortReservation?,
                            resolver: Resolver) throws -> any ServiceDriver {
        throw ManifestProblem(service.location, service: service.name, "\(service.kindName) services are not available yet")
    }
}
