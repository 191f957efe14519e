import NIOCore

/// The handler on each of a connection's two channels: hands reads, read bursts, FINs,
/// writability and closes to the ``LinkConnection``.
final class LinkSideHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer

    /// Which end of the connection a channel is.
    enum Side { case client, server }

    let connection: LinkConnection
    let side: Side

    init(connection: LinkConnection, side: Side) {
        self.connection = connection
        self.side = side
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if side == .client { connection.clientContext = context } else { connection.serverContext = context }
    }

    func channelActive(context: ChannelHandlerContext) {
        if side == .client { connection.clientActive() }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.flow(from: side).receive(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        connection.flow(from: side).readComplete()
    }

    /// The outbound read NIO issues after every read burst (autoRead): the flow decides.
    func read(context: ChannelHandlerContext) {
        connection.flow(from: side).readRequested(context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection.flow(to: side).readMore()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            connection.flow(from: side).sourceClosed()
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.sideInactive(side)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
