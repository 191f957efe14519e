#if HTTPClient
import AsyncHTTPClient
import NIOSSL
#endif
import NIOCore
import NIOHTTP1
import TestbedModel

/// The client side of an HTTP link: forwards a request to the upstream with
/// async-http-client (TLS for https, a pool of keep-alive connections) and returns the
/// response with its body as the upstream sent it (still encoded: the client asked for it).
///
/// Redirects are not followed (the client under test sees them) and HTTP/1.1 is spoken
/// (HTTP/2 is out of scope, docs/tapes.md "Protocol scope").
/// Without the package trait `HTTPClient` (Package.swift) there is no client: making one
/// throws a ``LinkError`` that says how to get it, so a link that only replays still works.
final class HTTPUpstream: Sendable {
    /// A response from the upstream.
    struct Response: Sendable {
        var status: Int
        var reason: String
        var headers: HTTPHeaders
        var body: ByteBuffer
    }

    /// The largest body forwarded in either direction (buffered in memory).
    static let bodyLimit = 256 * 1024 * 1024

    /// Headers that belong to one connection, not to the request (RFC 9110 §7.6.1), and the
    /// framing the client library sets itself.
    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                                        "upgrade", "content-length", "host"]

    let base: HTTPUpstreamURL
    #if HTTPClient
    private let client: HTTPClient
    #endif

    /// Makes a client for `base` on the links' event loops. With `caFile` (a PEM file) the
    /// client trusts those CA certificates instead of the system's roots; host names are
    /// verified either way. Throws when `caFile` cannot be read or holds no certificate.
    init(base: HTTPUpstreamURL, group: any EventLoopGroup, caFile: String? = nil) throws {
        #if HTTPClient
        self.base = base
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .seconds(300)),
            decompression: .disabled)
        configuration.httpVersion = .http1Only
        if let caFile {
            let certificates = try NIOSSLCertificate.fromPEMFile(caFile)
            guard !certificates.isEmpty else { throw NIOSSLError.failedToLoadCertificate }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(certificates)
            tls.certificateVerification = .fullVerification
            configuration.tlsConfiguration = tls
        }
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        client = HTTPClient(eventLoopGroupProvider: .shared(group), configuration: configuration)
        #else
        throw LinkError(.invalidAddress, "this Testbed was built without its HTTP client (the package trait "
                        + "'HTTPClient' is off), so an HTTP link cannot reach \(base): replay from a tape, or build "
                        + "with the default traits")
        #endif
    }

    /// Sends `method target` with `headers` (hop-by-hop ones left out) and `body`; returns
    /// the response. Throws what the client throws (connection refused, TLS, timeout).
    func forward(method: HTTPMethod, target: String, headers: HTTPHeaders, body: ByteBuffer) async throws -> Response {
        #if HTTPClient
        var request = HTTPClientRequest(url: base.url(for: target))
        request.method = method
        for (name, value) in headers where !Self.hopByHop.contains(name.lowercased()) {
            request.headers.add(name: name, value: value)
        }
        if body.readableBytes > 0 || ["POST", "PUT", "PATCH"].contains(method.rawValue) {
            request.body = .bytes(body)
        }
        let response = try await client.execute(request, timeout: .seconds(300))
        let data = try await response.body.collect(upTo: Self.bodyLimit)
        return Response(status: Int(response.status.code), reason: response.status.reasonPhrase, headers: response.headers, body: data)
        #else
        throw LinkError(.invalidAddress, "this Testbed was built without its HTTP client")
        #endif
    }

    /// Closes the pooled connections.
    func shutdown() async {
        #if HTTPClient
        try? await client.shutdown()
        #endif
    }
}
