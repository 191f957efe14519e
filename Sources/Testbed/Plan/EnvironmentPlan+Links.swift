extension EnvironmentPlan {
    /// Reserves each manifest link's port and computes its values: the target's, with the
    /// link's host and port (a PostgreSQL URL keeps the target's user and password). Runs
    /// after every service's values are known (pass 2), before anything is resolved
    /// against them (pass 3), so `${app-db.url}` resolves like `${db.url}`.
    static func planLinks(_ manifest: Manifest, values: inout [String: [String: String]],
                          allocator: PortAllocator) -> (links: [PlannedLink], problems: [ManifestProblem]) {
        var links: [PlannedLink] = []
        var problems: [ManifestProblem] = []
        for spec in manifest.links {
            guard let target = manifest.service(named: spec.target), let own = values[spec.target] else { continue }
            let portName = LinkReader.portName(of: spec, in: manifest)
            let portKey = target.kindName == "postgres" ? "port" : portName.map { "ports.\($0)" }
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
                if let portName { mine["ports.\(portName)"] = port }
            }
            values[spec.name] = mine
            links.append(PlannedLink(name: spec.name, target: spec.target, reservation: reservation, upstreamPort: upstreamPort,
                                     faults: spec.faults, seed: spec.seed, values: mine))
        }
        return (links, problems)
    }

    /// Reserves the Toxiproxy endpoint's port when the run serves one (`links:` or
    /// `toxiproxy: true`) and sets `${run.toxiproxy_url}`.
    static func planToxiproxy(_ manifest: Manifest, values: inout [String: [String: String]],
                              allocator: PortAllocator) -> (port: PortReservation?, problems: [ManifestProblem]) {
        guard !manifest.links.isEmpty || manifest.toxiproxy else { return (nil, []) }
        do {
            let reservation = try allocator.reserve()
            values["run", default: [:]]["toxiproxy_url"] = "http://127.0.0.1:\(reservation.port)"
            return (reservation, [])
        } catch {
            let location = manifest.links.first?.location ?? SourceLocation(file: manifest.path, line: 1, column: 1)
            return (nil, [ManifestProblem(location, "the Toxiproxy endpoint has no port: \(error)")])
        }
    }
}
