import Foundation

/// The runtime's side of links (planned in ``EnvironmentPlan``): start after the target is
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

    /// Hands the plan's links to ``links``, to start once their targets are up.
    func planLinks(_ plan: EnvironmentPlan) {
        for link in plan.links {
            links.plan(name: link.name, target: link.target, reservation: link.reservation,
                       upstream: LinkAddress(host: "127.0.0.1", port: link.upstreamPort), faults: link.faults, seed: link.seed)
        }
        toxiproxyPort = plan.toxiproxyPort
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
