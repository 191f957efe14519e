import NIOCore
import NIOPosix
import TestbedModel

/// One client connection through a link: the accepted channel, the channel to the upstream,
/// and a ``LinkFlow`` for each direction.
///
/// `@unchecked Sendable` because the proxy keeps connections in a locked table that other
/// threads read to *hop* onto ``eventLoop``; every mutable property is touched only on
/// ``eventLoop``, where both channels and their handlers live.
final class LinkConnection: @unchecked Sendable {
    let link: Link
    let proxy: LinkProxy
    /// The order the link accepted this connection in; seeds its random draws.
    let number: UInt64
    let eventLoop: any EventLoop
    let client: any Channel
    private(set) var server: (any Channel)?
    var clientContext: ChannelHandlerContext?
    var serverContext: ChannelHandlerContext?
    private(set) var upstream: LinkFlow!
    private(set) var downstream: LinkFlow!
    private var generation = UInt64.max
    /// The link's faults as this connection sees them, in stacking order.
    private(set) var states: [FaultState] = []
    private(set) var closed = false
    private var registered = false

    init(link: Link, proxy: LinkProxy, number: UInt64, client: any Channel) {
        self.link = link
        self.proxy = proxy
        self.number = number
        self.eventLoop = client.eventLoop
        self.client = client
        self.upstream = LinkFlow(stream: .upstream, connection: self)
        self.downstream = LinkFlow(stream: .downstream, connection: self)
    }

    func flow(from side: LinkSideHandler.Side) -> LinkFlow { side == .client ? upstream : downstream }
    func flow(to side: LinkSideHandler.Side) -> LinkFlow { side == .client ? downstream : upstream }

    func context(of side: LinkSideHandler.Side) -> ChannelHandlerContext? {
        side == .client ? clientContext : serverContext
    }

    /// The accepted channel is active: connect to the upstream.
    func clientActive() {
        guard link.enabled else { return close() }
        registered = true
        proxy.register(self)
        let target = link.upstream
        ClientBootstrap(group: eventLoop)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .connectTimeout(.seconds(10))
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(LinkSideHandler(connection: self, side: .server))
                }
            }
            .connect(host: target.host, port: target.port)
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    server = channel
                    if closed || !link.enabled { return close() }
                    refresh()
                    upstream.readMore()
                    downstream.readMore()
                case .failure:
                    close()
                }
            }
    }

    /// Re-reads the link's faults when they changed: draws toxicity for new faults, starts
    /// the timers of `timeout` and `reset_peer`, stops those of removed faults.
    func sync() {
        let current = link.generation.load(ordering: .acquiring)
        guard current != generation, !closed else { return }
        generation = current
        let faults = link.faults
        var previous = Dictionary(uniqueKeysWithValues: states.map { ($0.fault.name, $0) })
        var next: [FaultState] = []
        for fault in faults {
            if let state = previous.removeValue(forKey: fault.name), state.fault.type == fault.type {
                state.update(fault)
                next.append(state)
            } else {
                next.append(FaultState(fault, seed: fault.seed ?? link.seed ?? proxy.seed, connection: number))
            }
        }
        for state in previous.values { state.cancelTimer() }
        states = next
        for state in states {
            state.armTimer(on: eventLoop) { [self] action in
                switch action {
                case .close: close()
                case .reset: reset()
                }
            }
        }
    }

    /// Applies a change of the link's faults at once (timers, dropped data, queued bytes).
    func refresh() {
        sync()
        guard !closed else { return }
        upstream.drain()
        downstream.drain()
    }

    /// The active faults for one direction, in stacking order.
    func faults(for stream: Fault.Stream) -> [FaultState] {
        sync()
        return states.filter { $0.active && $0.fault.stream == stream }
    }

    /// Both directions ended: close both channels.
    func flowFinished() {
        if upstream.finished && downstream.finished { close() }
    }

    /// A channel closed by itself (an error, a reset, or NIO closing it once both of its
    /// halves were shut): nothing more can be written to it, but what the other direction
    /// still queues from it is delivered, then passed on as a FIN.
    func sideInactive(_ side: LinkSideHandler.Side) {
        guard !closed else { return }
        flow(to: side).abandon()
        flow(from: side).sourceClosed()
        flowFinished()
    }

    /// Closes both channels; idempotent.
    func close() {
        guard !closed else { return }
        closed = true
        for state in states { state.cancelTimer() }
        upstream.cancel()
        downstream.cancel()
        client.close(promise: nil)
        server?.close(promise: nil)
        if registered { proxy.unregister(self) }
    }

    /// Resets both channels: SO_LINGER 0 makes the close send a TCP RST.
    func reset() {
        guard !closed else { return }
        for channel in [client, server].compactMap({ $0 }) {
            _ = (channel as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0))
        }
        close()
    }
}
