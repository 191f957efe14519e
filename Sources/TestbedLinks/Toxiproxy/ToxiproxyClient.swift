import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem
import TestbedModel
import TestbedHTTP

/// A small client of Toxiproxy's REST API, for `testbed link` and tests: one HTTP/1.1
/// request per connection (`Connection: close`) through ``PlainHTTPClient``, event-driven
/// (no thread waits for the answer).
///
/// It speaks to Testbed's endpoint (``ToxiproxyServer``) and to a real Toxiproxy alike.
/// Every method throws ``ToxiproxyError``: the endpoint's own error for an answer of 400
/// or more, status 0 when it cannot be reached or answers with something that is not HTTP.
package struct ToxiproxyClient: Sendable {
    /// The host as given in the URL (an IPv4 address or `localhost`).
    package let host: String
    /// The endpoint's TCP port.
    package let port: Int
    /// How long one request may take, connect to last byte.
    package var timeout: Duration = .seconds(30)

    /// Parses `http://HOST:PORT` (a trailing `/` is allowed). Throws ``ToxiproxyError`` (status 0).
    package init(url: String) throws(ToxiproxyError) {
        var rest = Substring(url)
        guard rest.hasPrefix("http://") else {
            throw ToxiproxyError(status: 0, "'\(url)' is not an http:// URL of a Toxiproxy endpoint")
        }
        rest = rest.dropFirst("http://".count)
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
              (1...65535).contains(port), !rest[..<colon].isEmpty else {
            throw ToxiproxyError(status: 0, "'\(url)' has no host and port (expected http://127.0.0.1:PORT)")
        }
        self.host = String(rest[..<colon])
        self.port = port
    }

    // MARK: - Typed calls

    /// Every proxy (link), sorted by name: `GET /proxies`.
    package func proxies() async throws(ToxiproxyError) -> [ProxyDescription] {
        let all: [String: ProxyDescription] = try decode(await send("GET", "/proxies"))
        return all.values.sorted { $0.name < $1.name }
    }

    /// One proxy with its faults: `GET /proxies/NAME`.
    package func proxy(_ name: String) async throws(ToxiproxyError) -> ProxyDescription {
        try decode(await send("GET", "/proxies/\(escaped(name))"))
    }

    /// Enables (`up`) or disables (`down`) a proxy: `POST /proxies/NAME {"enabled": …}`.
    @discardableResult
    package func setEnabled(_ name: String, _ enabled: Bool) async throws(ToxiproxyError) -> ProxyDescription {
        try decode(await send("POST", "/proxies/\(escaped(name))", body: Data(#"{"enabled":\#(enabled)}"#.utf8)))
    }

    /// Adds a fault: `POST /proxies/NAME/toxics`. Returns the fault as the endpoint stored it.
    @discardableResult
    package func add(_ fault: Fault, to proxy: String) async throws(ToxiproxyError) -> Fault {
        let body: Data
        do { body = try JSONEncoder.toxiproxy.encode(fault) } catch {
            throw ToxiproxyError(status: 0, "cannot encode fault '\(fault.name)': \(error)")
        }
        return try decode(await send("POST", "/proxies/\(escaped(proxy))/toxics", body: body))
    }

    /// Removes a fault: `DELETE /proxies/NAME/toxics/FAULT`.
    package func remove(fault: String, from proxy: String) async throws(ToxiproxyError) {
        _ = try await send("DELETE", "/proxies/\(escaped(proxy))/toxics/\(escaped(fault))")
    }

    /// Re-enables every proxy and removes every fault: `POST /reset`.
    package func reset() async throws(ToxiproxyError) {
        _ = try await send("POST", "/reset")
    }

    // MARK: - HTTP

    /// Sends one request and returns the body of a 2xx/3xx answer; throws the endpoint's
    /// ``ToxiproxyError`` for 400 and above.
    package func send(_ method: String, _ path: String, body: Data? = nil) async throws(ToxiproxyError) -> Data {
        let (status, payload) = try await request(method, path, body: body)
        guard status < 400 else {
            if let error = try? JSONDecoder().decode(ToxiproxyError.self, from: payload) { throw error }
            let text = String(decoding: payload, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw ToxiproxyError(status: status, text.isEmpty ? "HTTP \(status) for \(method) \(path)" : text)
        }
        return payload
    }

    /// Sends one request and returns the answer's status and body, whatever the status.
    /// Throws ``ToxiproxyError`` (status 0) only when no HTTP answer came within ``timeout``.
    package func request(_ method: String, _ path: String, body: Data? = nil) async throws(ToxiproxyError) -> (status: Int, body: Data) {
        let target = "\(host):\(port)"
        let address = host == "localhost" ? "127.0.0.1" : host
        var parsed = in_addr()
        guard inet_pton(AF_INET, address, &parsed) == 1 else {
            throw ToxiproxyError(status: 0, "'\(host)' is not an IPv4 address (the endpoint listens on 127.0.0.1)")
        }
        var headers = [(name: "User-Agent", value: "testbed"), (name: "Accept", value: "application/json")]
        if body != nil { headers.append((name: "Content-Type", value: "application/json")) }
        let request = PlainHTTPRequest(method: method, target: path, headers: headers, body: body.map { [UInt8]($0) })
        do {
            let answer = try await PlainHTTPClient.send(request, to: PlainHTTPEndpoint(host: address, port: port), timeout: timeout)
            return (answer.status, Data(answer.body))
        } catch {
            switch error.code {
            case .refused, .cannotConnect, .connectTimedOut:
                let reason = error.errno.map { errnoText($0) } ?? "no connection within \(timeout)"
                throw ToxiproxyError(status: 0, "nothing answers at \(target): \(reason) (has the environment stopped?)")
            case .timedOut: throw ToxiproxyError(status: 0, "no answer from \(target) within \(timeout)")
            case .closed: throw ToxiproxyError(status: 0, "no complete HTTP answer to \(method) \(path)")
            case .notHTTP: throw ToxiproxyError(status: 0, "the answer to \(method) \(path) is not HTTP")
            case .cancelled: throw ToxiproxyError(status: 0, "\(method) \(path) was cancelled")
            default: throw ToxiproxyError(status: 0, error.message)
            }
        }
    }

    private func decode<T: Decodable>(_ data: Data) throws(ToxiproxyError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw ToxiproxyError(status: 0, "unexpected answer from \(host):\(port): \(error)")
        }
    }

    private func escaped(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? segment
    }
}
