import Foundation
import NIOHTTP1
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedHTTP
@testable import TestbedHealth

@Suite struct HTTPProbeTests {
    /// Runs `python3 -m http.server` for `body`, stopping it on every path. The server binds
    /// port 0 and prints the port the kernel gave it: a port reserved here and bound by
    /// python3 seconds later, on a loaded machine, was once taken in between (by an outgoing
    /// connection of a test running alongside, which no port lock can stop).
    private func withHTTPServer(_ body: (Int) async throws -> Void) async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServiceProcess(.init(
            executable: "python3", arguments: ["-u", "-m", "http.server", "--bind", "127.0.0.1", "0"],
            environment: inheritedEnvironment, workingDirectory: directory, logFile: directory + "/server.log"))
        do {
            // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
            func announced() -> Int? {
                server.log.lastLines(20).lazy.compactMap { line -> Int? in
                    guard let range = line.range(of: "Serving HTTP on 127.0.0.1 port ") else { return nil }
                    return Int(line[range.upperBound...].prefix { $0.isNumber })
                }.first
            }
            _ = await eventually { announced() != nil || server.exitStatus != nil }
            guard let port = announced() else {
                throw TestFailure("http.server did not start: \(server.log.lastLines(5))")
            }
            if let failure = await pollUntilHealthy(TCPProbe(port: port)) {
                throw TestFailure("http.server does not answer: \(failure); log: \(server.log.lastLines(5))")
            }
            try await body(port)
        } catch {
            await server.stop(TeardownStep.standard(signal: SIGTERM, grace: .seconds(2)))
            throw error
        }
        await server.stop(TeardownStep.standard(signal: SIGTERM, grace: .seconds(2)))
    }

    @Test func passesOnExpectedStatusAndNamesTheStatusOtherwise() async throws {
        // Generous timeouts: a loaded machine can keep python3 from answering for seconds,
        // and timeouts are tested against a silent socket below.
        try await withHTTPServer { port in
            try await HTTPProbe(url: "http://127.0.0.1:\(port)/").attempt(timeout: .seconds(60))
            let url = "http://127.0.0.1:\(port)/nope"
            let error = await #expect(throws: ProbeFailure.self) {
                try await HTTPProbe(url: url).attempt(timeout: .seconds(60))
            }
            #expect(error?.code == .unexpectedAnswer)
            #expect(error?.message == "GET /nope → 404 (expected 200)" && error?.httpStatus == 404)
            try await HTTPProbe(url: url, expectedStatus: 404).attempt(timeout: .seconds(60))
        }
    }

    @Test func timesOutAgainstASocketThatNeverAnswers() async throws {
        let listener = try TestListener()  // the kernel accepts; nobody reads or writes
        let url = "http://127.0.0.1:\(listener.port)/health"
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: ProbeFailure.self) {
            try await HTTPProbe(url: url).attempt(timeout: .milliseconds(200))
        }
        let elapsed = clock.now - start
        #expect(error?.code == .timedOut)
        #expect(error?.message == "no HTTP answer from \(url) within 200 ms")
        #expect(elapsed >= .milliseconds(190))
    }

    @Test func failsWithRefusedWhenNothingListens() async throws {
        let reservation = try PortAllocator(lockDirectory: try makeTemporaryDirectory()).reserve()
        defer { reservation.release() }
        let error = await #expect(throws: ProbeFailure.self) {
            try await HTTPProbe(url: "http://127.0.0.1:\(reservation.port)/health").attempt(timeout: .seconds(1))
        }
        #expect(error?.message == "connection refused on 127.0.0.1:\(reservation.port)")
    }

    @Test func parsesHostPortAndPath() throws {
        let probe = try HTTPProbe(url: "http://127.0.0.1:4123/health?full=1#x", expectedStatus: 204)
        #expect(probe.host == "127.0.0.1" && probe.port == 4123 && probe.path == "/health?full=1")
        let bare = try HTTPProbe(url: "http://localhost")
        #expect(bare.host == "localhost" && bare.port == 80 && bare.path == "/")
        let v6 = try HTTPProbe(url: "http://[::1]:8080?q")
        #expect(v6.host == "::1" && v6.port == 8080 && v6.path == "/?q")
        let head = v6.request.head(for: PlainHTTPEndpoint(host: v6.host, port: v6.port))
        #expect(head.method == .GET && head.uri == "/?q" && head.version == .http1_1)
        #expect(head.headers["Host"] == ["[::1]:8080"] && head.headers["Connection"] == ["close"])
    }

    @Test(arguments: ["https://127.0.0.1:8443/health", "ftp://host/", "http://:80/", "http://host:99999/",
                      "http://host:abc/", "127.0.0.1:80"])
    func rejectsURLsItCannotProbe(url: String) {
        let error = #expect(throws: ProbeFailure.self) { try HTTPProbe(url: url) }
        #expect(error?.code == .invalidProbe)
        #expect(error?.message.contains(url) == true)
    }

    @Test func namesAnAnswerThatIsNotHTTP() async throws {
        let server = try ScriptedHTTPServer(answer: "SSH-2.0-OpenSSH_9.2\r\n")
        let url = "http://127.0.0.1:\(server.port)/health"
        let error = await #expect(throws: ProbeFailure.self) {
            try await HTTPProbe(url: url).attempt(timeout: .seconds(60))
        }
        #expect(error?.code == .unexpectedAnswer)
        #expect(error?.message == "\(url) did not answer with HTTP: 'SSH-2.0-OpenSSH_9.2'")
    }
}
