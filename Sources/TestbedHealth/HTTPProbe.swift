import TestbedHTTP
/// Healthy when `GET url` answers with `expectedStatus`.
///
/// Plain HTTP/1.1 through ``PlainHTTPClient`` (Foundation's URLSession is slow to start on
/// Linux, async-http-client is an optional trait): the probe sends `GET path HTTP/1.1` with
/// `Connection: close`, reads the status line and headers, and closes. The status must match exactly; redirects are not followed, so a
/// `301` is a failure unless it is the expected status. `https` is not supported.
package struct HTTPProbe: HealthProbe {
    /// The URL as given, for messages.
    package let url: String
    /// The status code that means healthy (100–599; default 200).
    package let expectedStatus: Int
    /// The host parsed from the URL, without brackets for IPv6.
    package let host: String
    /// The TCP port parsed from the URL (80 when the URL has none).
    package let port: Int
    /// The request target: path and query, `/` when the URL has none.
    package let path: String

    /// Parses `http://host[:port][/path][?query]`.
    ///
    /// Throws ``ProbeFailure`` with code `invalidProbe` for anything else, including
    /// `https` URLs, a missing host, or a port outside 1–65535.
    package init(url: String, expectedStatus: Int = 200) throws {
        let lowered = url.lowercased()
        if lowered.hasPrefix("https://") {
            throw ProbeFailure(.invalidProbe, "\(url): https is not supported by http health checks; "
                + "check the plain http port, or use a command check (e.g. curl -fsk)")
        }
        guard lowered.hasPrefix("http://") else {
            throw ProbeFailure(.invalidProbe, "\(url) is not an http:// URL")
        }
        let rest = url.dropFirst("http://".count)
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...].prefix { $0 != "#" })
        if target.isEmpty || target.first == "?" { target = "/" + target }
        if authority.contains("@") {
            throw ProbeFailure(.invalidProbe, "\(url): credentials in health check URLs are not supported")
        }
        var host = Substring(authority)
        var port = 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw ProbeFailure(.invalidProbe, "\(url): unterminated [IPv6] host")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":", let number = Int(after.dropFirst()) else {
                    throw ProbeFailure(.invalidProbe, "\(url): bad port '\(after.dropFirst())'")
                }
                port = number
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let number = Int(authority[authority.index(after: colon)...]) else {
                throw ProbeFailure(.invalidProbe, "\(url): bad port '\(authority[authority.index(after: colon)...])'")
            }
            port = number
        }
        guard !host.isEmpty else { throw ProbeFailure(.invalidProbe, "\(url) has no host") }
        guard (1...65535).contains(port) else {
            throw ProbeFailure(.invalidProbe, "\(url): port \(port) is outside 1-65535")
        }
        guard (100...599).contains(expectedStatus) else {
            throw ProbeFailure(.invalidProbe, "expected HTTP status \(expectedStatus) is not a status code (100-599)")
        }
        self.url = url
        self.expectedStatus = expectedStatus
        self.host = String(host)
        self.port = port
        self.path = target
    }

    /// `http GET URL → STATUS`, e.g. `http GET http://127.0.0.1:8080/health → 200`.
    package var summary: String { "http GET \(url) → \(expectedStatus)" }

    /// The request sent on each attempt (the client adds `Host` and `Connection: close`).
    var request: PlainHTTPRequest {
        PlainHTTPRequest(method: "GET", target: path, headers: [("User-Agent", "testbed-health"), ("Accept", "*/*")])
    }

    /// Sends one GET and checks the answer's status.
    ///
    /// Throws ``ProbeFailure``: `unreachable` when the connection fails, `timedOut` when no
    /// status line and headers arrive within `timeout`, `unexpectedAnswer` for another status
    /// (its message `GET /healthz → 404 (expected 200)`, its ``ProbeFailure/httpStatus`` set)
    /// or a non-HTTP reply; `CancellationError` when the calling task is cancelled.
    package func attempt(timeout: Duration) async throws {
        let response: PlainHTTPResponse
        do {
            response = try await PlainHTTPClient.send(request, to: PlainHTTPEndpoint(host: host, port: port),
                                                      timeout: timeout, readBody: false)
        } catch {
            throw ProbeFailure.failure(of: error, url: url, timeout: timeout)
        }
        guard response.status == expectedStatus else {
            var failure = ProbeFailure(.unexpectedAnswer, "GET \(path) → \(response.status) (expected \(expectedStatus))")
            failure.httpStatus = response.status
            throw failure
        }
    }
}
