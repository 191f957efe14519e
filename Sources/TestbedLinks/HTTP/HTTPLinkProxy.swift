import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The networking of an HTTP link: a SwiftNIO HTTP/1.1 server on the link's port whose
/// requests an ``HTTPLinkSession`` answers (from the tape, the upstream or a fault).
///
/// It runs on the same event loops as the TCP links (``LinkProxy/eventLoopGroup``), so a
/// killed Testbed takes it with it.
final class HTTPLinkProxy: LinkListener {
    let session: HTTPLinkSession
    private let listener = Mutex<(any Channel)?>(nil)
    private let connections = Mutex<[ObjectIdentifier: any Channel]>([:])

    init(session: HTTPLinkSession) {
        self.session = session
    }

    var connectionCount: Int { connections.withLock { $0.count } }

    func bind(_ address: LinkAddress, link: Link) async throws {
        let bootstrap = Self.serverBootstrap()
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    // As NIO's configureHTTPServerPipeline, with the decoder forwarding the
                    // bytes after an Upgrade request (they belong to the spliced connection).
                    try operations.addHandler(HTTPResponseEncoder(), name: HTTPLinkHandler.encoderName)
                    try operations.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)),
                                              name: HTTPLinkHandler.decoderName)
                    try operations.addHandler(HTTPServerPipelineHandler(), name: HTTPLinkHandler.pipeliningName)
                    try operations.addHandler(HTTPServerProtocolErrorHandler(), name: HTTPLinkHandler.errorName)
                    try operations.addHandler(HTTPLinkHandler(link: link, session: session))
                    let id = ObjectIdentifier(channel)
                    connections.withLock { $0[id] = channel }
                    channel.closeFuture.whenComplete { [weak self] _ in
                        _ = self?.connections.withLock { $0.removeValue(forKey: id) }
                    }
                }
            }
        try await listen(bootstrap, on: address, link: link, keepingIn: listener)
    }

    func closeListener() async {
        await Self.close(listener)
    }

    func cutConnections() async {
        for channel in connections.withLock({ Array($0.values) }) {
            try? await channel.close()
        }
    }

    /// Faults are read for each request; nothing to refresh.
    func refresh() {}

    func finish(link: Link) async {
        await session.finish(link: link)
    }
}
