import Foundation

/// The runtime's side of links: ports and values at plan time, start after the target is
/// up, stop before it. The runtime knows links; `Links/` never reaches into drivers.
extension Environment {
    /// The link named `name` (from the manifest, or made by a Toxiproxy client), to add
    /// faults to or take down. Throws ``LinkError`` (`unknownLink`) listing the links there are.
    ///
    /// ```swift
    /// let link = try environment.link("app-db")
    /// try await link.with(.latency(.milliseconds(300))) { … }
    /// ```
    public nonisolated func link(_ name: String) throws -> Link {
        try links.link(named: name)
    }

    /// Reserves each manifest link's port and sets its values: the target's, with the
    /// link's host and port (a PostgreSQL URL keeps the target's user and password).
    /// Called by ``plan(in:)`` once every service's values are known.
    func planLinks(values: inout [String: [String: String]], allocator: PortAllocator) -> [ManifestProblem] {
        var problems: [ManifestProblem] = []
        for spec in manifest.links {
            guard let target = manifest.service(named: spec.target), let own = values[spec.target] else { continue }
            let portKey = target.kindName == "postgres" ? "port" : LinkReader.portName(of: spec, in: manifest).map { "ports.\($0)" }
            guard let portKey, let upstreamPort = own[portKey].flatMap(Int.init) else {
                problems.append(ManifestProblem(spec.targetLocation, "link '\(spec.name)': '\(spec.target)' has no TCP port to front"))
                continue
            }
            let reservation: PortReservation
            do {
                reservation = try allocator.reserve()
            } catch {
                problems.append(ManifestProblem(spec.location, "link '\(spec.name)': \(error)"))
                continue
            }
            let port = String(reservation.port)
            var mine: [String: String] = ["host": "127.0.0.1", "port": port]
            if target.kindName == "postgres" {
                for key in LinkSpec.keys(fronting: target, port: nil) where mine[key] == nil {
                    mine[key] = own[key]?.replacingOccurrences(of: "127.0.0.1:\(upstreamPort)", with: "127.0.0.1:\(port)")
                }
            } else {
                mine["address"] = "127.0.0.1:\(port)"
                if let name = LinkReader.portName(of: spec, in: manifest) { mine["ports.\(name)"] = port }
            }
            values[spec.name] = mine
            links.plan(name: spec.name, target: spec.target, reservation: reservation,
                       upstream: LinkAddress(host: "127.0.0.1", port: upstreamPort), faults: spec.faults, seed: spec.seed)
        }
        return problems
    }

    /// Starts the links in front of `service`; called once it is healthy, before its
    /// dependents are let go.
    func startLinks(fronting service: String) async throws {
        do {
            try await links.start(fronting: service)
        } catch {
            throw EnvironmentError(.linkFailed, service: service, "a link in front of '\(service)' cannot start: \(error)",
                                   hint: "another process may hold the link's port; run again")
        }
    }
}
