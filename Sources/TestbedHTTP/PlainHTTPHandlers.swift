import NIOCore
import NIOHTTP1
import TestbedSystem

/// Writes an exchange's request once connected and gathers the answer (after NIOHTTP1's
/// `HTTPResponseDecoder`); ends the exchange at the answer's end, or at its head when the
/// caller reads no body. Lives on the channel's event loop.
final class PlainHTTPCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let exchange: PlainHTTPExchange
    private let request: PlainHTTPRequest
    private let counter: PlainHTTPByteCounter
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []

    init(exchange: PlainHTTPExchange, request: PlainHTTPRequest, counter: PlainHTTPByteCounter) {
        self.exchange = exchange
        self.request = request
        self.counter = counter
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(request.head(for: exchange.endpoint))), promise: nil)
        if let bytes = request.body, !bytes.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))), promise: nil)
        }
        let exchange = exchange
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenFailure { error in
            var failure = PlainHTTPError(.failed, exchange.endpoint, "cannot send the request to \(exchange.endpoint): \(error)")
            if let error = error as? IOError {
                failure = PlainHTTPError(.failed, exchange.endpoint, "cannot send the request to \(exchange.endpoint): \(errnoText(error.errnoCode))",
                                         errno: error.errnoCode)
            }
            exchange.finish(.failure(failure))
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            if !exchange.readBody { exchange.finish(.success(response(head))) }
        case .body(var buffer):
            guard exchange.readBody else { return }
            guard body.count + buffer.readableBytes <= exchange.bodyLimit else {
                let limit = exchange.bodyLimit
                return exchange.finish(.failure(PlainHTTPError(
                    .tooLarge, exchange.endpoint, "the answer from \(exchange.endpoint) is larger than \(limit) bytes")))
            }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            if let head { exchange.finish(.success(response(head))) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        exchange.finish(.failure(exchange.answerFailure(error, counter: counter)))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        exchange.finish(.failure(exchange.closedFailure(received: counter.received)))
        context.fireChannelInactive()
    }

    private func response(_ head: HTTPResponseHead) -> PlainHTTPResponse {
        PlainHTTPResponse(status: Int(head.status.code), headers: head.headers, body: body)
    }
}

/// Counts the bytes of an answer and keeps the start of its first line, before the HTTP
/// decoder sees them: for messages about answers that end early or are not HTTP.
final class PlainHTTPByteCounter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// Bytes received so far.
    private(set) var received = 0
    /// The first bytes received, at most 80.
    private var start: [UInt8] = []

    /// The start of the first line, up to its line break (at most 80 characters).
    var firstLine: String {
        String(decoding: start.prefix { $0 != 10 && $0 != 13 }, as: UTF8.self)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if start.count < 80 {
            start += buffer.getBytes(at: buffer.readerIndex, length: min(80 - start.count, buffer.readableBytes)) ?? []
        }
        received += buffer.readableBytes
        context.fireChannelRead(data)
    }
}
