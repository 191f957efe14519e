/// Healthy when a TCP connection to `host:port` is accepted.
///
/// One attempt is a non-blocking connect, a wait for it with the timeout, and a close:
/// cheap enough to poll every 10 ms. A refused connection fails at once, without waiting.
public struct TCPProbe: HealthProbe {
    public var host: String
    public var port: Int

    public init(host: String = "127.0.0.1", port: Int) {
        self.host = host
        self.port = port
    }

    public var summary: String {
        host.contains(":") ? "tcp [\(host)]:\(port)" : "tcp \(host):\(port)"
    }

    public func attempt(timeout: Duration) async throws {
        guard (1...65535).contains(port) else {
            throw ProbeFailure(.invalidProbe, "port \(port) is not a TCP port number (1-65535)")
        }
        let deadline = ContinuousClock.now + timeout
        _ = try await ProbeSocket.connect(host: host, port: port, deadline: deadline, timeout: timeout)
    }
}
