import NIOCore
import NIOPosix
import Synchronization
import TestbedModel

/// The networking behind a ``Link``: a TCP proxy (``LinkProxy``) or an HTTP proxy
/// (``HTTPLinkProxy``). ``Link`` drives either through this.
protocol LinkListener: Sendable {
    /// How many client connections are open.
    var connectionCount: Int { get }
    /// Binds `address` and starts accepting for `link`; a port 0 becomes the bound port in
    /// the link's listen address. Throws ``LinkError`` (`bind`).
    func bind(_ address: LinkAddress, link: Link) async throws
    /// Closes the listener, if one is open.
    func closeListener() async
    /// Closes every open connection and returns once they are closed.
    func cutConnections() async
    /// Makes open connections re-read the link's faults now.
    func refresh()
    /// Called once when the link stops for good, after its connections are closed.
    func finish(link: Link) async
}

extension LinkProxy: LinkListener {
    func finish(link: Link) async {}
}

extension LinkListener {
    /// A server bootstrap on the links' event loops with the options every link listener
    /// uses (a deep backlog, address reuse, no Nagle delay on accepted connections), after
    /// raising this process's descriptor limit for many connections.
    static func serverBootstrap() -> ServerBootstrap {
        FileLimit.raiseToHard()
        return ServerBootstrap(group: LinkProxy.eventLoopGroup)
            .serverChannelOption(ChannelOptions.backlog, value: 4096)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
    }

    /// Binds `bootstrap` on `address` for `link` and keeps the listening channel in
    /// `listener`; a port 0 becomes the bound port in the link's listen address. Throws
    /// ``LinkError`` (`bind`).
    func listen(_ bootstrap: ServerBootstrap, on address: LinkAddress, link: Link,
                keepingIn listener: borrowing Mutex<(any Channel)?>) async throws {
        let host = address.host == "localhost" ? "127.0.0.1" : address.host
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: host, port: address.port).get()
        } catch {
            throw LinkError(.bind, "link '\(link.name)' cannot listen on \(address): \(error)")
        }
        listener.withLock { $0 = channel }
        if address.port == 0, let port = channel.localAddress?.port {
            link.state.withLock { $0.listen.port = port }
        }
    }

    /// Closes the channel `listener` keeps, if any, and forgets it.
    static func close(_ listener: borrowing Mutex<(any Channel)?>) async {
        let channel = listener.withLock { current in
            defer { current = nil }
            return current
        }
        try? await channel?.close()
    }
}
