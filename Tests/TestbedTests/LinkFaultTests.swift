import Foundation
import Synchronization
import Testing
@testable import Testbed
@testable import TestbedModel
@testable import TestbedLinks

/// The fault model: Toxiproxy's JSON, validation messages, seeded draws.
struct LinkFaultTests {
    @Test func readsAndWritesToxiproxyJSON() throws {
        let json = #"{"name":"slow","type":"latency","stream":"upstream","toxicity":0.5,"attributes":{"latency":100,"jitter":10}}"#
        let fault = try JSONDecoder().decode(Fault.self, from: Data(json.utf8))
        #expect(fault.name == "slow")
        #expect(fault.kind == .latency(.milliseconds(100), jitter: .milliseconds(10)))
        #expect(fault.stream == .upstream)
        #expect(fault.toxicity == 0.5)
        let written = try JSONSerialization.jsonObject(with: JSONEncoder().encode(fault)) as? [String: Any]
        #expect(written?["type"] as? String == "latency")
        #expect((written?["attributes"] as? [String: Int]) == ["latency": 100, "jitter": 10])
        #expect(written?["seed"] == nil, "Testbed's seed is written only when set")
    }

    @Test func toxiproxyDefaults() throws {
        let fault = try JSONDecoder().decode(Fault.self, from: Data(#"{"type":"bandwidth","attributes":{"rate":100.0}}"#.utf8))
        #expect(fault.name == "bandwidth_downstream")
        #expect(fault.stream == .downstream)
        #expect(fault.toxicity == 1)
        #expect(fault.attributes == ["rate": 100])
    }

    @Test(arguments: [
        (#"{"type":"latency","attributes":{"latency":-5}}"#, "latency -5 is out of range: allowed 0...3600000 milliseconds"),
        (#"{"type":"latency","toxicity":1.5,"attributes":{}}"#, "toxicity 1.5 is out of range"),
        (#"{"type":"lag","attributes":{}}"#, "unknown fault type 'lag': use one of latency, bandwidth"),
        (#"{"type":"timeout","attributes":{"delay":5}}"#, "fault type 'timeout' has no attribute 'delay': its attributes are timeout"),
        (#"{"type":"slicer","attributes":{"average_size":10,"size_variation":10}}"#, "size_variation 10 must be smaller than average_size 10"),
        (#"{"type":"latency","stream":"sideways","attributes":{}}"#, "stream 'sideways' is not valid"),
    ])
    func badFaultsNameTheProblem(json: String, message: String) {
        let error = #expect(throws: LinkError.self) { try JSONDecoder().decode(Fault.self, from: Data(json.utf8)) }
        #expect(error?.code == .invalidFault)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }

    @Test func updateMergesAttributes() throws {
        let fault = Fault.latency(.milliseconds(100), jitter: .milliseconds(5))
        let updated = try fault.updated(attributes: ["latency": 200], toxicity: 0.25)
        #expect(updated.kind == .latency(.milliseconds(200), jitter: .milliseconds(5)))
        #expect(updated.toxicity == 0.25)
        #expect(throws: LinkError.self) { try fault.updated(attributes: ["jitter": -1]) }
    }

    @Test func seededToxicityDrawsReplay() {
        let fault = Fault.latency(.milliseconds(1), toxicity: 0.5)
        let first = (0..<200).map { FaultState(fault, seed: 42, connection: UInt64($0)).active }
        let again = (0..<200).map { FaultState(fault, seed: 42, connection: UInt64($0)).active }
        let other = (0..<200).map { FaultState(fault, seed: 43, connection: UInt64($0)).active }
        #expect(first == again, "the same seed hits the same connections")
        #expect(first != other)
        let hits = first.filter { $0 }.count
        #expect((50...150).contains(hits), "about half of 200 connections are hit, got \(hits)")
    }

    @Test func linkRejectsDuplicateAndUnknownFaults() async throws {
        let links = LinkSet()
        let listener = try TestListener()
        let link = try await links.create(.init(name: "x", listen: "127.0.0.1:0", upstream: "127.0.0.1:\(listener.port)"))
        defer { Task { await links.deleteAll() } }
        try link.add(.latency(.milliseconds(10), name: "a"))
        #expect(throws: LinkError(.duplicate, "link 'x' already has a fault named 'a': remove it first or pick another name")) {
            try link.add(.latency(.milliseconds(10), name: "a"))
        }
        let unknown = #expect(throws: LinkError.self) { try link.remove(name: "b") }
        #expect(unknown?.code == .unknownFault)
        #expect(unknown?.message == "link 'x' has no fault named 'b'; its faults: a")
        #expect(throws: LinkError.self) { try links.link(named: "nope") }
        let notLoopback = await #expect(throws: LinkError.self) {
            try await links.create(.init(name: "y", listen: "0.0.0.0:0", upstream: "127.0.0.1:1"))
        }
        #expect(notLoopback?.code == .invalidAddress)
    }

    @Test func eventsReportEveryChange() async throws {
        let links = LinkSet()
        let seen = EventBox()
        links.onChange = { seen.append($0) }
        let listener = try TestListener()
        let link = try await links.create(.init(name: "x", listen: "127.0.0.1:0", upstream: "127.0.0.1:\(listener.port)"))
        try link.add(.latency(.milliseconds(10), name: "a"))
        try link.update(name: "a", attributes: ["latency": 20])
        try link.remove(name: "a")
        await link.down()
        try await link.up()
        try await links.delete(name: "x")
        #expect(seen.actions == [.created, .faultAdded, .faultUpdated, .faultRemoved, .down, .up, .deleted])
    }
}

final class EventBox: Sendable {
    private let events = Mutex<[LinkEvent]>([])
    func append(_ event: LinkEvent) { events.withLock { $0.append(event) } }
    var actions: [LinkEvent.Action] { events.withLock { $0.map(\.action) } }
}
