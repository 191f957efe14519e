import TestbedSystem
import TestbedModel
import TestbedDrivers
extension EnvironmentPlan {
    /// The services, each after those it depends on; manifest order among independent ones.
    ///
    /// ``ManifestLoader`` rejects unknown dependencies and cycles with better messages; this
    /// check is for manifests built in code, which would otherwise wait forever.
    static func dependencyOrder(_ manifest: Manifest) throws(ManifestError) -> [ServiceSpec] {
        let names = Set(manifest.services.map(\.name))
        var problems: [ManifestProblem] = []
        for service in manifest.services {
            for dependency in service.dependsOn where !names.contains(dependency.service) {
                problems.append(ManifestProblem(dependency.location, service: service.name,
                                                "depends on '\(dependency.service)', which is not a service of this manifest",
                                                hint: "services: \(manifest.services.map(\.name).joined(separator: ", "))"))
            }
        }
        if !problems.isEmpty { throw ManifestError(problems: problems) }
        var placed = Set<String>()
        var order: [ServiceSpec] = []
        var pending = manifest.services
        while !pending.isEmpty {
            guard let next = pending.firstIndex(where: { $0.dependsOn.allSatisfy { placed.contains($0.service) } }) else {
                throw ManifestError(problems: pending.map {
                    ManifestProblem($0.location, service: $0.name, "its dependencies form a cycle",
                                    hint: "remove one of the depends_on entries among: \(pending.map(\.name).joined(separator: ", "))")
                })
            }
            let service = pending.remove(at: next)
            placed.insert(service.name)
            order.append(service)
        }
        return order
    }

    /// Reserves every declared port (a process's `ports:`, a TCP cluster's `postgres`), by
    /// service then port name. On any failure it releases what it reserved and throws all
    /// failures together.
    static func reservePorts(_ manifest: Manifest, allocator: PortAllocator)
        throws(ManifestError) -> [String: [String: PortReservation]] {
        var reserved: [String: [String: PortReservation]] = [:]
        var problems: [ManifestProblem] = []
        for service in manifest.services {
            for port in ServiceKinds.kind(of: service.kind).ports(of: service.kind, location: service.location) {
                do {
                    let reservation = try port.fixed.map { try allocator.reserve(fixed: $0) } ?? allocator.reserve()
                    reserved[service.name, default: [:]][port.name] = reservation
                } catch {
                    problems.append(ManifestProblem(port.location, service: service.name, "port '\(port.name)': \(error)",
                                                    hint: port.fixed == nil ? nil : "remove the fixed number to let Testbed choose a free port"))
                }
            }
        }
        if !problems.isEmpty {
            for ports in reserved.values { for reservation in ports.values { reservation.release() } }
            throw ManifestError(problems: problems)
        }
        return reserved
    }
}

extension ServiceSpec {
    var isProcess: Bool { process != nil }
}
