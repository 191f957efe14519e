import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Testbed's one small HTTP/1.1 client for plain `http` on its own ports: health probes
/// (`http` and `tcp` checks) and ``ToxiproxyClient``; also the TCP connect of a `tcp` check.
///
/// One request per connection (`Connection: close`), SwiftNIO's `ClientBootstrap` with
/// NIOHTTP1's `HTTPRequestEncoder` and `HTTPResponseDecoder` on NIO's shared event loop
/// group: waiting costs nothing (no polling), and every timeout is one task scheduled on the
/// loop. A connect that completes at once (loopback) is made on the calling thread first, so a
/// `tcp` check or a refused connection needs no event loop at all. Nothing blocks a thread of Swift's concurrency pool or an event loop; a host name
/// (not an IP literal) is resolved on a ``BlockingWork`` thread. It needs neither TLS nor a
/// connection pool, so it does not depend on the optional `HTTPClient` trait
/// (async-http-client), which HTTP links and `verify` use for real upstreams.
package enum PlainHTTPClient {
    /// NIO's process-wide event loops (`MultiThreadedEventLoopGroup.singleton`), made on first use.
    static var group: any EventLoopGroup { MultiThreadedEventLoopGroup.singleton }

    /// The largest body ``send(_:to:timeout:readBody:bodyLimit:)`` takes by default: 16 MiB.
    static let defaultBodyLimit = 16 << 20

    /// Sends `request` to `endpoint` and returns the answer, whatever its status.
    ///
    /// `timeout` bounds everything, from resolving and connecting to the last byte. With
    /// `readBody: false` the call returns once the answer's head (status line and headers)
    /// has arrived and closes the connection: what a probe needs. Throws ``PlainHTTPError``,
    /// with `cancelled` when the calling task is cancelled (the connection is closed at once).
    package static func send(_ request: PlainHTTPRequest, to endpoint: PlainHTTPEndpoint, timeout: Duration,
                     readBody: Bool = true, bodyLimit: Int = defaultBodyLimit) async throws(PlainHTTPError) -> PlainHTTPResponse {
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        let start = try await connectAtOnce(to: endpoint)
        let exchange = PlainHTTPExchange(endpoint: endpoint, timeout: timeout, loop: group.next(),
                                         request: request, readBody: readBody, bodyLimit: bodyLimit)
        return try await exchange.run(start, deadline: deadline)
    }

    /// Opens a TCP connection to `endpoint` and closes it: a `tcp` health check.
    ///
    /// Throws ``PlainHTTPError`` (`cannotResolve`, `refused`, `cannotConnect`,
    /// `connectTimedOut`, `cancelled`). A refused connection fails at once.
    package static func connect(to endpoint: PlainHTTPEndpoint, timeout: Duration) async throws(PlainHTTPError) {
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        let start = try await connectAtOnce(to: endpoint)
        guard case .connect = start else {
            if case .connected(let fd) = start { close(fd) }
            return
        }
        let exchange = PlainHTTPExchange(endpoint: endpoint, timeout: timeout, loop: group.next(),
                                         request: nil, readBody: false, bodyLimit: 0)
        _ = try await exchange.run(start, deadline: deadline)
    }

    /// Tries each address of `endpoint` with a connect that does not wait (``ImmediateConnect``):
    /// returns the first socket connected at once, or the addresses left to NIO from the first
    /// one that needs waiting; throws the last failure when every address failed at once.
    ///
    /// On loopback a connect completes or is refused at once, so a probe of a local service
    /// costs no thread hop to connect, and a refused one none at all.
    private static func connectAtOnce(to endpoint: PlainHTTPEndpoint) async throws(PlainHTTPError) -> PlainHTTPExchange.Start {
        if Task.isCancelled { throw PlainHTTPError(.cancelled, endpoint, "the request to \(endpoint) was cancelled") }
        let addresses = try await endpoint.addresses()
        var failure = PlainHTTPError(.cannotConnect, endpoint, "cannot connect to \(endpoint)")
        for index in addresses.indices {
            switch ImmediateConnect.attempt(addresses[index], endpoint: endpoint) {
            case .connected(let fd): return .connected(fd)
            case .failed(let error): failure = error
            case .pending: return .connect(addresses[index...])
            }
        }
        throw failure
    }
}
