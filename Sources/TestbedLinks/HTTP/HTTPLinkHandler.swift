import NIOCore
import NIOHTTP1

/// One client connection of an HTTP link: gathers each request (head, de-chunked body),
/// has the session answer it, and writes the answer with keep-alive kept as the client
/// asked. A request to upgrade (WebSocket) is passed through unrecorded (``HTTPUpgradeSplice``).
///
/// Lives on the connection's event loop; NIO's pipelining handler keeps answers in order.
final class HTTPLinkHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let encoderName = "testbed-http-encoder"
    static let decoderName = "testbed-http-decoder"
    static let pipeliningName = "testbed-http-pipelining"
    static let errorName = "testbed-http-errors"

    let link: Link
    let session: HTTPLinkSession
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var tooLarge = false
    private var upgrading = false

    init(link: Link, session: HTTPLinkSession) {
        self.link = link
        self.session = session
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !upgrading else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            if HTTPUpgradeSplice.isUpgrade(head) {
                upgrading = true
                return HTTPUpgradeSplice.start(head, context: context, handler: self)
            }
            self.head = head
            body.clear()
            tooLarge = false
        case .body(var chunk):
            if body.readableBytes + chunk.readableBytes > HTTPUpstream.bodyLimit { tooLarge = true } else { body.writeBuffer(&chunk) }
        case .end:
            guard let head else { return }
            self.head = nil
            let keepAlive = head.isKeepAlive
            if tooLarge {
                return write(.own(413, body: "testbed: link '\(link.name)': request bodies are limited to \(HTTPUpstream.bodyLimit) bytes\n"),
                             version: head.version, keepAlive: false, context: context)
            }
            let request = HTTPLinkRequest(method: head.method, target: head.uri, version: head.version, headers: head.headers,
                                          body: body)
            body = ByteBuffer()
            let session = self.session, link = self.link
            let plan = session.faultPlan(for: request, link: link)
            let step = session.step(for: request, plan: plan, link: link)
            if plan.delay == .zero, case .answer(let answer) = step {
                // Nothing to wait for (a replay, a fault's answer): answer on the event loop.
                return write(answer, version: head.version, keepAlive: keepAlive, context: context)
            }
            let promise = context.eventLoop.makePromise(of: HTTPLinkAnswer.self)
            promise.completeWithTask { await session.answer(request, plan: plan, step: step, link: link) }
            promise.futureResult.assumeIsolated().whenSuccess { answer in
                self.write(answer, version: head.version, keepAlive: keepAlive, context: context)
            }
        }
    }

    /// Writes `answer`; closes the connection after it when the client did not keep it
    /// alive, and after the cut when a fault cuts the body.
    func write(_ answer: HTTPLinkAnswer, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = answer.headers
        let keepAlive = keepAlive && answer.cutAfter == nil
        if !keepAlive {
            headers.replaceOrAdd(name: "Connection", value: "close")
        } else if version.major == 1 && version.minor == 0 {
            headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: answer.status, headers: headers))),
                      promise: nil)
        if let cut = answer.cutAfter {
            var body = answer.body
            let slice = body.readSlice(length: min(cut, body.readableBytes)) ?? ByteBuffer()
            let flushed = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(slice))), promise: flushed)
            flushed.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        }
        if !answer.headOnly && answer.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(answer.body))), promise: nil)
        }
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let flushed = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: flushed)
            flushed.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
