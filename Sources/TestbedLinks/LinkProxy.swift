import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// The networking of one link: a SwiftNIO listener and the open connections it glued to
/// the upstream.
///
/// Everything runs on ``eventLoopGroup``, whose threads belong to this process: a killed
/// Testbed takes its listeners and connections with it. Both channels of a connection live
/// on the same event loop, so a connection never needs a lock.
final class LinkProxy: Sendable {
    /// The event loops of every link in the process, made on first use and never shut down
    /// (like NIO's own singleton). One thread: a proxy spends its time in system calls, and
    /// on small machines a second thread only competes with the services it fronts
    /// (docs/benchmarks.md has the figures); `TESTBED_LINK_THREADS` overrides it.
    static let eventLoopGroup: MultiThreadedEventLoopGroup = {
        let threads = Int(ProcessInfo.processInfo.environment["TESTBED_LINK_THREADS"] ?? "") ?? 1
        return MultiThreadedEventLoopGroup(numberOfThreads: max(1, min(threads, System.coreCount)))
    }()

    private let listener = Mutex<(any Channel)?>(nil)
    private let connections = Mutex<[ObjectIdentifier: LinkConnection]>([:])
    private let accepted = Atomic<UInt64>(0)
    /// Seeds the draws of faults when neither the fault nor the link has a seed.
    let seed = UInt64.random(in: .min ... .max)

    /// How many client connections are open.
    var connectionCount: Int { connections.withLock { $0.count } }

    /// Channels read automatically; ``LinkSideHandler`` holds back a channel's reads while
    /// the connection cannot take more (see ``LinkFlow``), which keeps the socket registered
    /// for reading instead of toggling it on every read.
    ///
    /// Binds `address` and starts accepting for `link`; a port 0 becomes the bound port in
    /// the link's listen address. Throws ``LinkError`` (`bind`).
    func bind(_ address: LinkAddress, link: Link) async throws {
        let bootstrap = Self.serverBootstrap()
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let number = accepted.add(1, ordering: .relaxed).newValue
                    let connection = LinkConnection(link: link, proxy: self, number: number, client: channel)
                    try channel.pipeline.syncOperations.addHandler(LinkSideHandler(connection: connection, side: .client))
                }
            }
        try await listen(bootstrap, on: address, link: link, keepingIn: listener)
    }

    /// Closes the listener, if one is open; new connections are refused from then on.
    func closeListener() async {
        await Self.close(listener)
    }

    /// Closes every open connection (both ends) and returns once they are closed, so that
    /// nothing a client sends afterwards reaches the upstream.
    func cutConnections() async {
        for connection in connections.withLock({ Array($0.values) }) {
            try? await connection.eventLoop.submit { connection.close() }.get()
        }
    }

    /// Makes every open connection re-read its link's faults now.
    func refresh() {
        for connection in connections.withLock({ Array($0.values) }) {
            connection.eventLoop.execute { connection.refresh() }
        }
    }

    /// The channels of every open connection (the accepted one, then the one to the upstream
    /// once connected), read on their event loop: for tests that inspect the sockets.
    func openChannels() async -> [any Channel] {
        var channels: [any Channel] = []
        for connection in connections.withLock({ Array($0.values) }) {
            let pair = try? await connection.eventLoop.submit { [connection.client] + [connection.server].compactMap { $0 } }.get()
            channels += pair ?? []
        }
        return channels
    }

    func register(_ connection: LinkConnection) {
        connections.withLock { $0[ObjectIdentifier(connection)] = connection }
    }

    func unregister(_ connection: LinkConnection) {
        _ = connections.withLock { $0.removeValue(forKey: ObjectIdentifier(connection)) }
    }
}
