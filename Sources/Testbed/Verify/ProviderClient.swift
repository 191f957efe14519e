#if HTTPClient
import AsyncHTTPClient
#endif
import Foundation
import NIOCore
import NIOHTTP1
import TestbedModel
import TestbedTapes

/// Sends recorded requests to a provider (HTTP/1.1, or HTTPS with system trust roots) and
/// reads its answers as ``TapeResponse``s.
///
/// A request goes as recorded — method, target, headers, body — with three exceptions:
/// hop-by-hop headers, `Host`, `Content-Length` and `Accept-Encoding` are left to the
/// client (an answer is read decoded, as tapes keep bodies); the target is appended to the
/// base URL's path (`https://api.example/v1` + `/charges`); and ``headers`` replace the
/// recorded headers of the same name (credentials that redaction kept off the tape).
/// Redirects are not followed: a 301 is the provider's answer. Without the package trait
/// `HTTPClient` (Package.swift), making one throws ``VerifyError`` (`invalid provider`).
package final class ProviderClient: Sendable {
    /// Headers a recorded request keeps only for its own connection.
    static let droppedHeaders: Set<String> = ["connection", "keep-alive", "proxy-connection", "te", "trailer",
                                              "transfer-encoding", "upgrade", "host", "content-length", "accept-encoding"]

    /// The provider's base URL, without a trailing `/`.
    package let base: String
    /// Headers set on every request, replacing recorded ones of the same name.
    package let headers: [TapeHeader]
    private let timeout: Duration
    #if HTTPClient
    private let client: HTTPClient
    #endif

    /// Makes a client for `base` (`http://127.0.0.1:8080`, `https://api.example/v1`).
    /// Throws ``VerifyError`` (`invalid provider`) for anything but an http(s) URL with a host and no query.
    package init(base: String, headers: [TapeHeader] = [], timeout: Duration = .seconds(30)) throws(VerifyError) {
        guard let url = URL(string: base), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil else {
            throw VerifyError(.invalidProvider, "'\(base)' is not a provider address: give an http(s) URL such as http://127.0.0.1:8080 "
                              + "or https://api.example.com/v1 (no query), or a service of the manifest with --manifest")
        }
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
        self.headers = headers
        self.timeout = timeout
        #if HTTPClient
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .enabled(limit: .none)
        let seconds = max(1, Int64(timeout.components.seconds))
        configuration.timeout = .init(connect: .seconds(min(seconds, 10)), read: .seconds(seconds))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        #else
        throw VerifyError(.invalidProvider, "this Testbed was built without its HTTP client (the package trait 'HTTPClient' "
                          + "is off): build it with the default traits to verify a provider")
        #endif
    }

    /// The URL a recorded target is sent to.
    package func url(for target: String) -> String {
        base + (target.hasPrefix("/") ? target : "/" + target)
    }

    /// Sends `request` and reads the whole answer; throws what the client threw when there
    /// is no answer (refused, timed out, TLS failure).
    package func send(_ request: TapeRequest) async throws -> TapeResponse {
        #if HTTPClient
        var outgoing = HTTPClientRequest(url: url(for: request.target))
        outgoing.method = HTTPMethod(rawValue: request.method)
        for header in request.headers where !Self.droppedHeaders.contains(header.name.lowercased())
            && !headers.contains(where: { $0.matches(header.name) }) {
            outgoing.headers.add(name: header.name, value: header.value)
        }
        for header in headers { outgoing.headers.add(name: header.name, value: header.value) }
        if !request.body.isEmpty { outgoing.body = .bytes(ByteBuffer(bytes: request.body)) }
        let seconds = max(1, Int64(timeout.components.seconds))
        let response = try await client.execute(outgoing, timeout: .seconds(seconds))
        let body = try await response.body.collect(upTo: 256 << 20)
        return TapeResponse(status: Int(response.status.code),
                            reason: response.status.reasonPhrase,
                            headers: response.headers.map { TapeHeader($0.name, $0.value) },
                            body: Array(buffer: body))
        #else
        throw VerifyError(.invalidProvider, "this Testbed was built without its HTTP client")
        #endif
    }

    /// Closes the client's connections; call once when done.
    package func shutdown() async {
        #if HTTPClient
        try? await client.shutdown()
        #endif
    }

    /// Reads `Name: value`.
    package static func header(parsing text: String) throws(VerifyError) -> TapeHeader {
        guard let colon = text.firstIndex(of: ":") else {
            throw VerifyError(.invalidHeader, "'\(text)' is not a header: write 'Name: value', e.g. 'Authorization: Bearer $TOKEN'")
        }
        let name = text[..<colon].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, !name.contains(" ") else {
            throw VerifyError(.invalidHeader, "'\(text)' has no header name before ':'")
        }
        return TapeHeader(name, text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }
}
