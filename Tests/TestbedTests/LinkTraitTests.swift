import Foundation
import Testing
import TestbedTesting

/// Faults from a Swift Testing suite that uses the `.testbed(…)` trait.
@Suite(.testbed("Fixtures/links/echo-link.yml"))
struct LinkTraitTests {
    @Test func aScopedFaultFromTheTrait() async throws {
        let port = try await TestbedContext.service("echo-link").port
        let link = try TestbedContext.link("echo-link")
        let client = try TestClient(port: port)
        #expect(try await client.roundTrip("plain\n").0 == "plain\n")
        try await link.with(.latency(.milliseconds(200), stream: .upstream)) { () async throws in
            let (answer, took) = try await client.roundTrip("slow\n")
            #expect(answer == "slow\n")
            #expect(took >= .milliseconds(190))
        }
        #expect(link.faults.isEmpty)
        #expect(throws: TestbedScopeError.self) { try TestbedContext.link("nope") }
    }
}
