import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem

/// A real HTTP/1.1 API from `Fixtures/http/upstream.py` (python3 http.server) on a loopback
/// port, started by the test itself so that it can be stopped before a replay. With `tls`
/// (a certificate and its key, PEM files) it speaks HTTPS.
final class HTTPUpstreamServer: Sendable {
    let process: Process
    let port: Int
    let scheme: String

    init(tls: (certificate: String, key: String)? = nil) async throws {
        let portFile = try makeTemporaryDirectory() + "/port"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", HTTPFixtures.upstream, portFile] + (tls.map { ["0", $0.certificate, $0.key] } ?? [])
        scheme = tls == nil ? "http" : "https"
        process.standardInput = FileHandle.nullDevice
        try withUnblockedSignals { try process.run() }
        self.process = process
        // A safety net only: a loaded machine can take long to start python; one last look
        // after the deadline, as the other waits of the suite.
        let deadline = ContinuousClock.now + hangGuard
        while true {
            let late = ContinuousClock.now >= deadline
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text) {
                self.port = port
                return
            }
            guard process.isRunning, !late else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(process.processIdentifier, SIGKILL)
        throw TestFailure("upstream.py did not start")
    }

    var url: String { "\(scheme)://127.0.0.1:\(port)" }

    /// Stops the server and waits until it is gone (its port refuses connections).
    func stop() async {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Paths of the HTTP link tests' fixtures.
enum HTTPFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/http").path
    static let upstream = folder + "/upstream.py"
    static let client = folder + "/client.py"
}
