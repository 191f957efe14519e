import NIOCore
import NIOHTTP1
import NIOPosix

/// Passes a request to upgrade the connection (WebSocket) through an HTTP link unrecorded:
/// the request head goes to the upstream over a new plain TCP connection, the link's HTTP
/// handlers leave the client's pipeline, and from then on bytes are spliced both ways
/// (the upstream's `101 Switching Protocols` included) until either side closes.
///
/// Only `http` upstreams can be spliced; an upgrade to an `https` upstream, or in replay
/// (where no upstream is contacted), is refused with 501 and a body saying so.
enum HTTPUpgradeSplice {
    /// True for a request that asks to switch protocols (`Connection: upgrade` + `Upgrade:`).
    static func isUpgrade(_ head: HTTPRequestHead) -> Bool {
        head.headers.contains(name: "upgrade")
            && head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
    }

    static func start(_ head: HTTPRequestHead, context: ChannelHandlerContext, handler: HTTPLinkHandler) {
        let session = handler.session
        let upstream = session.settings.upstream
        let refusal: String? =
            !session.mode.forwards ? "in mode \(session.mode.rawValue) the link contacts no upstream, so an upgrade "
                + "(WebSocket) cannot be passed through; use passthrough, record or record_missing"
            : upstream.scheme != "http" ? "upgrades (WebSocket) are passed through to http upstreams only; "
                + "\(upstream) is https" : nil
        if let refusal {
            return handler.write(.own(501, body: "testbed: link '\(handler.link.name)': \(refusal)\n"), version: head.version,
                                 keepAlive: false, context: context)
        }
        var text = "\(head.method.rawValue) \(upstream.basePath)\(head.uri) HTTP/\(head.version.major).\(head.version.minor)\r\n"
        for (name, value) in head.headers {
            text += name.lowercased() == "host" ? "" : "\(name): \(value)\r\n"
        }
        text += "Host: \(upstream.host):\(upstream.port)\r\n\r\n"
        let client = context.channel
        let loop = context.eventLoop
        let connected = ClientBootstrap(group: loop)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SpliceHandler(peer: client))
                }
            }
            .connect(host: upstream.host, port: upstream.port)
        connected.assumeIsolated().whenComplete { result in
            switch result {
            case .failure(let error):
                handler.write(.own(502, body: "testbed: link '\(handler.link.name)': the upgrade cannot reach \(upstream): \(error)\n"),
                              version: head.version, keepAlive: false, context: context)
            case .success(let server):
                let operations = client.pipeline.syncOperations
                do {
                    try operations.addHandler(SpliceHandler(peer: server))
                    for name in [HTTPLinkHandler.encoderName, HTTPLinkHandler.pipeliningName, HTTPLinkHandler.errorName] {
                        _ = operations.removeHandler(name: name)
                    }
                    _ = operations.removeHandler(context: context)
                    // Last: the decoder hands the bytes it holds after the head to the splice.
                    _ = operations.removeHandler(name: HTTPLinkHandler.decoderName)
                } catch {
                    client.close(promise: nil)
                    server.close(promise: nil)
                    return
                }
                server.writeAndFlush(ByteBuffer(string: text), promise: nil)
                client.read()
            }
        }
    }
}

/// Copies what one channel reads to its peer, and closes the peer when it closes.
private final class SpliceHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    let peer: any Channel

    init(peer: any Channel) {
        self.peer = peer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        peer.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        peer.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
