import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small blocking client of Toxiproxy's REST API, for `testbed link` and tests: one
/// HTTP/1.1 request per connection (`Connection: close`) over a TCP socket.
///
/// It speaks to Testbed's endpoint (``ToxiproxyServer``) and to a real Toxiproxy alike.
/// Every method throws ``ToxiproxyError``: the endpoint's own error for an answer of 400
/// or more, status 0 when it cannot be reached or answers with something that is not HTTP.
public struct ToxiproxyClient: Sendable {
    /// The host as given in the URL (an IPv4 address or `localhost`).
    public let host: String
    /// The endpoint's TCP port.
    public let port: Int
    /// How long one request may take, connect to last byte.
    public var timeout: Duration = .seconds(30)

    /// Parses `http://HOST:PORT` (a trailing `/` is allowed). Throws ``ToxiproxyError`` (status 0).
    public init(url: String) throws(ToxiproxyError) {
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
    public func proxies() throws(ToxiproxyError) -> [ProxyDescription] {
        let all: [String: ProxyDescription] = try decode(send("GET", "/proxies"))
        return all.values.sorted { $0.name < $1.name }
    }

    /// One proxy with its faults: `GET /proxies/NAME`.
    public func proxy(_ name: String) throws(ToxiproxyError) -> ProxyDescription {
        try decode(send("GET", "/proxies/\(escaped(name))"))
    }

    /// Enables (`up`) or disables (`down`) a proxy: `POST /proxies/NAME {"enabled": …}`.
    @discardableResult
    public func setEnabled(_ name: String, _ enabled: Bool) throws(ToxiproxyError) -> ProxyDescription {
        try decode(send("POST", "/proxies/\(escaped(name))", body: Data(#"{"enabled":\#(enabled)}"#.utf8)))
    }

    /// Adds a fault: `POST /proxies/NAME/toxics`. Returns the fault as the endpoint stored it.
    @discardableResult
    public func add(_ fault: Fault, to proxy: String) throws(ToxiproxyError) -> Fault {
        let body: Data
        do { body = try JSONEncoder.toxiproxy.encode(fault) } catch {
            throw ToxiproxyError(status: 0, "cannot encode fault '\(fault.name)': \(error)")
        }
        return try decode(send("POST", "/proxies/\(escaped(proxy))/toxics", body: body))
    }

    /// Removes a fault: `DELETE /proxies/NAME/toxics/FAULT`.
    public func remove(fault: String, from proxy: String) throws(ToxiproxyError) {
        _ = try send("DELETE", "/proxies/\(escaped(proxy))/toxics/\(escaped(fault))")
    }

    /// Re-enables every proxy and removes every fault: `POST /reset`.
    public func reset() throws(ToxiproxyError) {
        _ = try send("POST", "/reset")
    }

    // MARK: - HTTP

    /// Sends one request and returns the body of a 2xx/3xx answer; throws the endpoint's
    /// ``ToxiproxyError`` for 400 and above.
    public func send(_ method: String, _ path: String, body: Data? = nil) throws(ToxiproxyError) -> Data {
        let (status, payload) = try request(method, path, body: body)
        guard status < 400 else {
            if let error = try? JSONDecoder().decode(ToxiproxyError.self, from: payload) { throw error }
            let text = String(decoding: payload, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw ToxiproxyError(status: status, text.isEmpty ? "HTTP \(status) for \(method) \(path)" : text)
        }
        return payload
    }

    /// Sends one request and returns the answer's status and body, whatever the status.
    /// Throws ``ToxiproxyError`` (status 0) only when no HTTP answer came.
    public func request(_ method: String, _ path: String, body: Data? = nil) throws(ToxiproxyError) -> (status: Int, body: Data) {
        var request = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: testbed\r\n"
            + "Accept: application/json\r\nConnection: close\r\n"
        if let body { request += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        let answer = try exchange(Data((request + "\r\n").utf8) + (body ?? Data()))
        return try Self.parse(answer, from: "\(method) \(path)")
    }

    /// Splits a whole answer into its status and its (de-chunked) body.
    static func parse(_ answer: Data, from request: String) throws(ToxiproxyError) -> (Int, Data) {
        let bytes = [UInt8](answer)
        guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else {
            throw ToxiproxyError(status: 0, "no complete HTTP answer to \(request)")
        }
        let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self).lowercased()
        let fields = head.split(separator: " ", maxSplits: 2)
        guard fields.count >= 2, fields[0].hasPrefix("http/"), let status = Int(fields[1]) else {
            throw ToxiproxyError(status: 0, "the answer to \(request) is not HTTP")
        }
        var body = Array(bytes[end.upperBound...])
        if head.contains("\r\ntransfer-encoding: chunked") {
            var plain: [UInt8] = []
            while let lineEnd = body.firstRange(of: Array("\r\n".utf8)),
                  let size = Int(String(decoding: body[..<lineEnd.lowerBound], as: UTF8.self)
                      .split(separator: ";").first ?? "", radix: 16), size > 0,
                  body.count >= lineEnd.upperBound + size {
                plain += body[lineEnd.upperBound..<(lineEnd.upperBound + size)]
                body = Array(body[min(body.count, lineEnd.upperBound + size + 2)...])
            }
            body = plain
        }
        return (status, Data(body))
    }

    /// Connects, writes `request`, and reads until the endpoint closes.
    private func exchange(_ request: Data) throws(ToxiproxyError) -> Data {
        let target = "\(host):\(port)"
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else {
            throw ToxiproxyError(status: 0, "'\(host)' is not an IPv4 address (the endpoint listens on 127.0.0.1)")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ToxiproxyError(status: 0, "cannot create a socket: \(errnoText())") }
        defer { close(fd) }
        let (seconds, attoseconds) = timeout.components
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            throw ToxiproxyError(status: 0, "nothing answers at \(target): \(errnoText()) (has the environment stopped?)")
        }
        let sent = request.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return false }
                offset += written
            }
            return true
        }
        guard sent else { throw ToxiproxyError(status: 0, "cannot send the request to \(target): \(errnoText())") }
        var answer = Data()
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 {
                throw ToxiproxyError(status: 0, "no answer from \(target) within \(timeout): \(errnoText())")
            }
            if count == 0 { break }
            answer.append(contentsOf: buffer[0..<count])
        }
        return answer
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
