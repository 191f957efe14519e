import TestbedSystem
import TestbedModel
import TestbedLinks
import TestbedDrivers
extension EnvironmentPlan {
    /// Reserves each manifest link's port and computes its values: the target's, with the
    /// link's host and port (a database's URL keeps the target's user and password). Runs
    /// after every service's values are known (pass 2), before anything is resolved
    /// against them (pass 3), so `${app-db.url}` resolves like `${db.url}`.
    static func planLinks(_ manifest: Manifest, values: inout [String: [String: String]],
                          allocator: PortAllocator) -> (links: [PlannedLink], problems: [ManifestProblem]) {
        var links: [PlannedLink] = []
        var problems: [ManifestProblem] = []
        for spec in manifest.links {
            if let url = spec.url {
                // An HTTP link to an external base URL: no service to take values from.
                guard let http = spec.http, let reservation = reserve(spec, allocator, &problems) else { continue }
                let port = String(reservation.port)
                let mine = ["url": "http://127.0.0.1:\(port)", "host": "127.0.0.1", "port": port, "address": "127.0.0.1:\(port)"]
                values[spec.name] = mine
                links.append(PlannedLink(name: spec.name, target: nil, reservation: reservation,
                                         upstream: LinkAddress(host: url.host, port: url.port), faults: spec.faults,
                                         seed: spec.seed, values: mine, http: http.settings(upstream: url),
                                         location: http.location))
                continue
            }
            guard let target = manifest.service(named: spec.target), let own = values[spec.target] else { continue }
            let portName = LinkReader.portName(of: spec, in: manifest)
            let kind = ServiceKinds.kind(of: target.kind)
            guard let portKey = kind.linkedPortKey(of: target.kind, portName: portName),
                  let upstreamPort = own[portKey].flatMap(Int.init) else {
                problems.append(ManifestProblem(spec.targetLocation, "link '\(spec.name)': '\(spec.target)' has no TCP port to front"))
                continue
            }
            guard let reservation = reserve(spec, allocator, &problems) else { continue }
            let mine = kind.linkValues(own, of: target.kind, portName: portName, upstream: upstreamPort, port: reservation.port,
                                       http: spec.http != nil)
            values[spec.name] = mine
            links.append(PlannedLink(name: spec.name, target: spec.target, reservation: reservation,
                                     upstream: LinkAddress(host: "127.0.0.1", port: upstreamPort), faults: spec.faults,
                                     seed: spec.seed, values: mine,
                                     http: spec.http?.settings(upstream: HTTPUpstreamURL(host: "127.0.0.1", port: upstreamPort)),
                                     location: spec.http?.location ?? spec.location))
        }
        return (links, problems)
    }

    /// Gives each TCP link in front of a process with a URL (`url:`, a preset's) that URL
    /// with the link's address in place of the target's; runs once the processes' declared
    /// URLs are resolved. A URL at another port than the one the link fronts gives none.
    static func addLinkURLs(_ links: inout [PlannedLink], values: inout [String: [String: String]]) {
        for index in links.indices where links[index].http == nil {
            let link = links[index]
            guard let target = link.target, link.values["url"] == nil, let url = values[target]?["url"],
                  let mine = Self.url(url, fronting: link.upstream.port, at: "\(link.listen)") else { continue }
            links[index].values["url"] = mine
            values[link.name]?["url"] = mine
        }
    }

    /// `url` with the host and port of its authority replaced by `address`, when its port is
    /// `port`; nil for a URL without an authority or at another port.
    static func url(_ url: String, fronting port: Int, at address: String) -> String? {
        guard let scheme = url.range(of: "://") else { return nil }
        let rest = url[scheme.upperBound...]
        let end = rest.firstIndex(where: { "/?#".contains($0) }) ?? rest.endIndex
        let authority = rest[..<end]
        let hostStart = authority.lastIndex(of: "@").map { authority.index(after: $0) } ?? authority.startIndex
        let hostAndPort = authority[hostStart...]
        guard let colon = hostAndPort.lastIndex(of: ":"), !hostAndPort[colon...].contains("]"),
              Int(hostAndPort[hostAndPort.index(after: colon)...]) == port else { return nil }
        return String(url[..<hostStart]) + address + String(url[end...])
    }

    private static func reserve(_ spec: LinkSpec, _ allocator: PortAllocator, _ problems: inout [ManifestProblem]) -> PortReservation? {
        do {
            return try allocator.reserve()
        } catch {
            problems.append(ManifestProblem(spec.location, "link '\(spec.name)': \(error)"))
            return nil
        }
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
