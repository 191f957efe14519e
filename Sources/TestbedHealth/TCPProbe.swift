import TestbedHTTP
/// Healthy when a TCP connection to `host:port` is accepted.
///
/// One attempt is a connect through ``PlainHTTPClient`` (event-driven, its timeout scheduled
/// on the event loop) and a close: cheap enough to poll every few ms. A refused connection fails at once, without waiting.
package struct TCPProbe: HealthProbe {
    /// The address to connect to (default `127.0.0.1`); IPv6 literals without brackets.
    package var host: String
    /// The TCP port to connect to; outside 1–65535 the attempt fails with `invalidProbe`.
    package var port: Int

    /// Describes the check; nothing connects until ``attempt(timeout:)``.
    package init(host: String = "127.0.0.1", port: Int) {
        self.host = host
        self.port = port
    }

    /// `tcp HOST:PORT` (IPv6 hosts in brackets).
    package var summary: String {
        host.contains(":") ? "tcp [\(host)]:\(port)" : "tcp \(host):\(port)"
    }

    /// Connects once and closes.
    ///
    /// Throws ``ProbeFailure``: `unreachable` when refused or unreachable, `timedOut` after
    /// `timeout`, `invalidProbe` for a port outside 1–65535; `CancellationError` when the
    /// calling task is cancelled.
    package func attempt(timeout: Duration) async throws {
        guard (1...65535).contains(port) else {
            throw ProbeFailure(.invalidProbe, "port \(port) is not a TCP port number (1-65535)")
        }
        do {
            try await PlainHTTPClient.connect(to: PlainHTTPEndpoint(host: host, port: port), timeout: timeout)
        } catch {
            throw ProbeFailure.failure(of: error, url: nil, timeout: timeout)
        }
    }
}
