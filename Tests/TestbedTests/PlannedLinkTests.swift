import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedLinks

/// A link has one shape from the plan on: the plan's `PlannedLink` goes into a `LinkSet` as
/// it is and starts there with its target, at its reserved port, forwarding where it was planned.
@Suite struct PlannedLinkTests {
    private func plan(_ yaml: String) throws -> EnvironmentPlan {
        let directory = try makeTemporaryDirectory()
        let manifest = try ManifestLoader.parse(yaml: yaml, path: directory + "/m.yml", directory: directory)
        return try EnvironmentPlan(manifest: manifest, runDirectory: RunDirectory(path: directory + "/run"),
                                   environment: ["PATH": "/usr/bin:/bin"], cacheRoot: directory + "/cache",
                                   portAllocator: PortAllocator(lockDirectory: try makeTemporaryDirectory()))
    }

    @Test func aPlannedLinkStartsInALinkSetWithItsTargetAtItsReservedPort() async throws {
        let plan = try plan("""
            services:
              api: {command: [sleep, "60"], ports: [http]}
            links:
              api-link:
                to: api
                seed: 7
                faults: [{type: latency, latency: 300, name: slow}]
            """)
        defer { plan.releasePorts() }
        let planned = try #require(plan.links.first)
        let apiPort = try #require(plan.values["api"]?["ports.http"].flatMap(Int.init))
        #expect(planned.upstream == LinkAddress(host: "127.0.0.1", port: apiPort))
        #expect(planned.listen == LinkAddress(host: "127.0.0.1", port: planned.reservation.port))
        #expect(planned.location.line == 4)

        let links = LinkSet(allocator: PortAllocator(lockDirectory: try makeTemporaryDirectory()))
        try links.plan(planned, tapeMode: nil)
        try await links.start(fronting: nil)
        #expect(links.all.isEmpty, "a link in front of a service waits for it")
        try await links.start(fronting: "api")
        let link = try links.link(named: "api-link")
        #expect(link.listen.port == planned.reservation.port && link.upstream == planned.upstream)
        #expect(link.seed == 7 && link.faults.map(\.name) == ["slow"])
        await links.deleteAll()
    }

    @Test func anExternalHTTPLinkForwardsToItsURLFromItsHTTPBlock() throws {
        let plan = try plan("""
            services:
              app: {command: [sleep, "60"]}
            links:
              payments:
                to: https://api.payments.example/v1
                http: {tape: tapes/payments.json}
            """)
        defer { plan.releasePorts() }
        let planned = try #require(plan.links.first)
        #expect(planned.target == nil && planned.upstream == LinkAddress(host: "api.payments.example", port: 443))
        #expect(planned.location.line == 6, "an HTTP link's errors point at its http: block")
        // A replay without its tape is refused by the plan itself, once (TapeModeCheckTests).
    }
}
