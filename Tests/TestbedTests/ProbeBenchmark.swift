import Foundation
import Synchronization
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedModel
@testable import TestbedHealth

/// CPU seconds of health probes, the test process's own (`getrusage(RUSAGE_SELF)`: every
/// thread of this process, the servers probed are processes of their own): a probe that
/// fails for 5 s (closed port, a server answering 503, a server that never answers) with
/// the default timing, and passing probes. Printed, never asserted; docs/benchmarks.md, "The
/// HTTP health probe's CPU". Run alone, so that no other test's work is counted:
///
///     TESTBED_BENCH=1 swift test --skip-build --disable-default-traits --filter ProbeBenchmark
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["TESTBED_BENCH"] != nil, "an opt-in benchmark: set TESTBED_BENCH=1"))
struct ProbeBenchmark {
    /// The timing a manifest's check gets without settings, with a 5 s deadline.
    static let failing = HealthTiming(interval: HealthTiming.defaultInterval, maxInterval: HealthTiming.defaultMaxInterval,
                                      timeout: HealthTiming.defaultTimeout, startPeriod: .zero, deadline: .seconds(5))

    /// User + system CPU seconds this process has used.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// Waits out one gate that never passes; prints its CPU seconds, attempts and wall time.
    static func failingGate(_ what: String, _ probe: any HealthProbe) async throws {
        let attempts = Atomic<Int>(0)
        let gate = HealthGate(probe: probe, timing: failing, process: nil, onFailure: { _ in attempts.add(1, ordering: .relaxed) })
        let clock = ContinuousClock(), began = clock.now, cpu = cpuSeconds()
        let error = await #expect(throws: HealthCheckError.self) { _ = try await gate.wait() }
        let used = cpuSeconds() - cpu, wall = clock.now - began
        print(String(format: "BENCH %@ failing for 5 s: %.3f CPU s, %d attempts, %.2f s wall; last: %@",
                     what, used, attempts.load(ordering: .relaxed), Double(wall.milliseconds) / 1000,
                     error?.lastFailure?.message ?? "?"))
    }

    /// Runs `count` gates that pass at the first attempt; prints CPU and wall per probe.
    static func passingGates(_ what: String, _ probe: any HealthProbe, count: Int = 500) async throws {
        let gate = HealthGate(probe: probe, timing: failing, process: nil)
        for _ in 0..<20 { _ = try await gate.wait() }  // warm up: code paths, threads, the server
        let clock = ContinuousClock()
        var samples: [Duration] = []
        let cpu = cpuSeconds()
        for _ in 0..<count {
            let began = clock.now
            #expect(try await gate.wait() == 1)
            samples.append(clock.now - began)
        }
        let used = cpuSeconds() - cpu
        samples.sort()
        print(String(format: "BENCH %@ passing: %.1f µs CPU per probe (%.3f CPU s for %d), wall median %.1f µs, p90 %.1f µs",
                     what, used / Double(count) * 1e6, used, count,
                     samples[count / 2].milliseconds * 1000, samples[count * 9 / 10].milliseconds * 1000))
    }

    @Test func httpProbeCPU() async throws {
        let closed = try PortAllocator(lockDirectory: try makeTemporaryDirectory()).reserve()
        defer { closed.release() }  // bound, not listening: connections are refused
        try await Self.failingGate("http, closed port", try HTTPProbe(url: "http://127.0.0.1:\(closed.port)/health"))
        try await withStatusServer(503) { port in
            try await Self.failingGate("http, server answering 503", try HTTPProbe(url: "http://127.0.0.1:\(port)/health"))
        }
        let silent = try TestListener()  // the kernel accepts; nobody reads or writes
        try await Self.failingGate("http, server never answering (2 s timeout)",
                                   try HTTPProbe(url: "http://127.0.0.1:\(silent.port)/health"))
        try await withStatusServer(200) { port in
            try await Self.passingGates("http", try HTTPProbe(url: "http://127.0.0.1:\(port)/health"))
        }
    }

    @Test func tcpProbeCPU() async throws {
        let closed = try PortAllocator(lockDirectory: try makeTemporaryDirectory()).reserve()
        defer { closed.release() }
        try await Self.failingGate("tcp, closed port", TCPProbe(port: closed.port))
        let listener = try TestListener(acceptAndClose: true)
        try await Self.passingGates("tcp", TCPProbe(port: listener.port))
    }
}

/// Runs a python3 HTTP server that answers every GET with `status` (no body), for `body`.
func withStatusServer(_ status: Int, _ body: (Int) async throws -> Void) async throws {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let script = """
        import http.server, sys
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(s):
                s.send_response(int(sys.argv[1])); s.send_header("Content-Length", "0"); s.end_headers()
            def log_message(s, *a): pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        print("port", server.server_address[1], flush=True)
        server.serve_forever()
        """
    let server = try ServiceProcess(.init(executable: "python3", arguments: ["-u", "-c", script, String(status)],
                                          environment: inheritedEnvironment, workingDirectory: directory,
                                          logFile: directory + "/server.log"))
    func announced() -> Int? {
        server.log.lastLines(20).lazy.compactMap { $0.hasPrefix("port ") ? Int($0.dropFirst(5)) : nil }.first
    }
    do {
        _ = await eventually(within: .seconds(60)) { announced() != nil || server.exitStatus != nil }
        guard let port = announced() else { throw TestFailure("the python3 server did not start: \(server.log.lastLines(5))") }
        try await body(port)
    } catch {
        await server.stop(TeardownStep.standard(signal: SIGTERM, grace: .seconds(2)))
        throw error
    }
    await server.stop(TeardownStep.standard(signal: SIGTERM, grace: .seconds(2)))
}
