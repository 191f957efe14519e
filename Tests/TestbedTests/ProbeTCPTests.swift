import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedHealth

@Suite struct TCPProbeTests {
    @Test func passesAgainstAListeningSocket() async throws {
        let listener = try TestListener()
        let probe = TCPProbe(port: listener.port)
        try await probe.attempt(timeout: .milliseconds(500))
        #expect(probe.summary == "tcp 127.0.0.1:\(listener.port)")
    }

    @Test func failsWithRefusedOnAClosedPort() async throws {
        let port = try PortAllocator(lockDirectory: try makeTemporaryDirectory()).reserve()
        defer { port.release() }  // bound, not listening: connections are refused
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: ProbeFailure.self) {
            try await TCPProbe(port: port.port).attempt(timeout: .seconds(30))
        }
        #expect(error?.code == .unreachable)
        #expect(error?.message == "connection refused on 127.0.0.1:\(port.port)")
        // Far below the 30 s timeout: a refused connect fails at once (a generous bound, not a benchmark).
        #expect(clock.now - start < .seconds(15), "a refused connect must fail at once, not wait for the timeout")
    }

    @Test func resolvesHostNamesAndIPv6Literals() async throws {
        let listener = try TestListener()
        try await TCPProbe(host: "localhost", port: listener.port).attempt(timeout: .seconds(1))
        let error = await #expect(throws: ProbeFailure.self) {
            try await TCPProbe(host: "::1", port: listener.port).attempt(timeout: .seconds(1))
        }
        #expect(error?.message.contains("[::1]:\(listener.port)") == true)
    }

    @Test func rejectsPortNumbersOutsideTheTCPRange() async throws {
        let error = await #expect(throws: ProbeFailure.self) {
            try await TCPProbe(port: 70000).attempt(timeout: .seconds(1))
        }
        #expect(error?.code == .invalidProbe)
    }

    /// Prints the median cost of one attempt against a listening port and a closed one;
    /// run with TESTBED_BENCH=1. Not an assertion: timings depend on the machine.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TESTBED_BENCH"] != nil, "an opt-in benchmark: set TESTBED_BENCH=1"))
    func benchmarkOneAttempt() async throws {
        let listener = try TestListener(acceptAndClose: true)
        let closed = try PortAllocator(lockDirectory: try makeTemporaryDirectory()).reserve()
        defer { closed.release() }
        for (what, port) in [("a listening port", listener.port), ("a closed port", closed.port)] {
            let probe = TCPProbe(port: port)
            let clock = ContinuousClock()
            var samples: [Duration] = []
            for _ in 0..<1000 {
                let start = clock.now
                try? await probe.attempt(timeout: .seconds(1))
                samples.append(clock.now - start)
            }
            samples.sort()
            let micro = { (d: Duration) in (d.milliseconds * 10_000).rounded() / 10 }
            print("TCPProbe attempt against \(what): median \(micro(samples[500])) µs, "
                  + "p90 \(micro(samples[900])) µs, p99 \(micro(samples[990])) µs")
        }
    }
}
