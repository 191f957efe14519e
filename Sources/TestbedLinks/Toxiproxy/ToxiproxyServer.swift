import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import TestbedSystem
import TestbedModel

/// The Toxiproxy-compatible HTTP control endpoint of an environment's links
/// (`ToxiproxyAPI`), on `127.0.0.1` and a port from the ``PortAllocator``.
///
/// **Who may use it.** Toxiproxy clients send no credentials, so the endpoint checks the
/// *socket* of every connection: the user owning the client's end (``PeerOwner``) must be
/// the user Testbed runs as, or root. Anyone else gets `403` and the connection is closed;
/// a client whose socket cannot be found (it closed already) is refused too.
///
/// Built on SwiftNIO's HTTP/1.1 codec, on an event loop of its own (`eventLoopGroup`), not
/// the links' one: a fault command must get through while a link is saturated or takes
/// thousands of connections. Each connection is served by a task of its own, keep-alive
/// included, run on that loop too (`EventLoopExecutor`): a process whose concurrency pool
/// is held by blocking work still answers. The loop itself never blocks: the socket-table
/// read that finds a client's owner and the routing of each request (port locks, upstream
/// checks, tape writes) run on `BlockingWork`'s threads, and the connection's task goes on
/// on the loop with their result. ``stop()`` closes the listener and every open connection.
package final class ToxiproxyServer: Sendable {
    /// The port the endpoint listens on (on 127.0.0.1).
    package let port: Int
    /// `http://127.0.0.1:PORT`, the value of `TOXIPROXY_URL`.
    package var url: String { "http://127.0.0.1:\(port)" }

    private typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    private let listener: any Channel
    private let serving: Task<Void, Never>
    private let open: OpenChannels
    private let reservation: PortReservation
    /// The file that marks the port as an endpoint's for other processes (``EndpointGuard``).
    private let marker: String?

    private init(port: Int, listener: any Channel, serving: Task<Void, Never>, open: OpenChannels,
                 reservation: PortReservation, marker: String?) {
        self.port = port
        self.marker = marker
        self.listener = listener
        self.serving = serving
        self.open = open
        self.reservation = reservation
    }

    /// The event loop of every endpoint in the process, apart from ``LinkProxy/eventLoopGroup``
    /// so that control traffic never queues behind data traffic. One thread: requests are
    /// small and few. Made on first use and never shut down (like NIO's own singleton).
    static let eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    /// Runs the endpoint's request handling on that loop too, off Swift's concurrency pool.
    private static let executor = EventLoopExecutor(eventLoopGroup.next())

    /// The users allowed by default: the one this process runs as, and root.
    package static var defaultUsers: Set<uid_t> { [geteuid(), 0] }

    /// Starts serving `links` on the reserved port (its socket is released right before
    /// the bind; its lock is held until ``stop()``). Throws ``LinkError`` (`bind`).
    package static func start(links: LinkSet, port reservation: PortReservation,
                             allowedUsers: Set<uid_t> = defaultUsers) async throws -> ToxiproxyServer {
        let port = reservation.port
        let api = ToxiproxyAPI(links: links)
        // Recognisable as an endpoint before it listens: no proxy may forward to it (EndpointGuard).
        let marker = EndpointGuard.register(port: port, lockDirectory: reservation.lockDirectory)
        reservation.releaseSocket()
        let server: NIOAsyncChannel<Connection, Never>
        do {
            server = try await ServerBootstrap(group: Self.eventLoopGroup)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
                .bind(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            EndpointGuard.unregister(port: port, marker: marker)
            reservation.release()
            throw LinkError(.bind, "the Toxiproxy endpoint cannot listen on 127.0.0.1:\(port): \(error)")
        }
        let open = OpenChannels()
        let serving = Task<Void, Never>(executorPreference: executor) {
            _ = try? await server.executeThenClose { inbound in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in inbound {
                            let channel = connection.channel
                            open.insert(channel)
                            group.addTask {
                                await serve(connection, api: api, allowedUsers: allowedUsers)
                                open.remove(channel)
                            }
                        }
                    } catch {}
                }
            }
        }
        return ToxiproxyServer(port: port, listener: server.channel, serving: serving, open: open, reservation: reservation,
                               marker: marker)
    }

    /// Closes the listener and every open connection, waits for the requests in flight,
    /// and releases the port. Idempotent.
    package func stop() async {
        try? await listener.close()
        for channel in open.all { try? await channel.close() }
        await serving.value
        EndpointGuard.unregister(port: port, marker: marker)
        reservation.release()
    }

    /// The connections being served: for tests that inspect their sockets.
    var openChannels: [any Channel] { open.all }

    /// Serves one connection's requests in order until the client closes, asks to close, or
    /// is refused.
    private static func serve(_ connection: Connection, api: ToxiproxyAPI, allowedUsers: Set<uid_t>) async {
        let owner = await owner(of: connection.channel)
        let allowed = owner.map(allowedUsers.contains) ?? false
        if !allowed {
            // A refused client gets its 403 after its request; it may not hold the connection open.
            let channel = connection.channel
            Task {
                try? await Task.sleep(for: .seconds(5))
                try? await channel.close()
            }
        }
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            var tooLarge = false
            for try await part in inbound {
                switch part {
                case .head(let next):
                    head = next
                    body = []
                    tooLarge = false
                case .body(let buffer):
                    if body.count + buffer.readableBytes > ToxiproxyAPI.bodyLimit { tooLarge = true } else {
                        body += buffer.readableBytesView
                    }
                case .end:
                    guard let request = head else { continue }
                    let answer: ToxiproxyAPI.Answer
                    if !allowed {
                        let who = owner.map { "user \($0)" } ?? "a client whose socket cannot be found"
                        answer = .failure(ToxiproxyError(status: 403, "forbidden: \(who) may not use this endpoint; "
                            + "only the user running testbed (uid \(geteuid())) and root may"))
                    } else if tooLarge {
                        answer = .failure(ToxiproxyError(status: 413, "request body larger than \(ToxiproxyAPI.bodyLimit) bytes"))
                    } else {
                        // Routing makes port locks, reads /proc and resolves names: off the loop.
                        let (method, path, body) = (request.method.rawValue, request.uri, body)
                        answer = await withTaskExecutorPreference(BlockingWork.executor) {
                            await api.answer(method: method, path: path, body: body)
                        }
                    }
                    let keepAlive = allowed && request.isKeepAlive
                    try await write(answer, to: outbound, version: request.version, keepAlive: keepAlive)
                    if !keepAlive { return }
                    head = nil
                }
            }
        }
    }

    private static func write(_ answer: ToxiproxyAPI.Answer, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
                              version: HTTPVersion, keepAlive: Bool) async throws {
        var headers = HTTPHeaders()
        if answer.status != 204 {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(answer.body.count))
        }
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let status = HTTPResponseStatus(statusCode: answer.status)
        try await outbound.write(.head(HTTPResponseHead(version: version, status: status, headers: headers)))
        if !answer.body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: answer.body)))) }
        try await outbound.write(.end(nil))
    }

    /// The user owning the client's end of `channel`, from the kernel's socket tables, read on
    /// a ``BlockingWork`` thread: they grow with every socket of the machine.
    private static func owner(of channel: any Channel) async -> uid_t? {
        guard let remote = channel.remoteAddress.flatMap(endpoint), let local = channel.localAddress.flatMap(endpoint) else {
            return nil
        }
        // The client's socket is in the table before accept() returns; one retry covers a
        // reader that raced the kernel's update of the file.
        return await BlockingWork.run { PeerOwner.uid(peer: remote, local: local) ?? PeerOwner.uid(peer: remote, local: local) }
    }

    private static func endpoint(_ address: NIOCore.SocketAddress) -> PeerOwner.Endpoint? {
        switch address {
        case .v4(let v4):
            let bytes = withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
            return PeerOwner.Endpoint(address: bytes, port: Int(UInt16(bigEndian: v4.address.sin_port)))
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            return PeerOwner.Endpoint(address: bytes, port: Int(UInt16(bigEndian: v6.address.sin6_port)))
        default:
            return nil
        }
    }
}

/// The connections a ``ToxiproxyServer`` is serving, so that ``ToxiproxyServer/stop()`` can close them.
private final class OpenChannels: Sendable {
    private let table = Mutex<[ObjectIdentifier: any Channel]>([:])

    var all: [any Channel] { table.withLock { Array($0.values) } }
    func insert(_ channel: any Channel) { table.withLock { $0[ObjectIdentifier(channel)] = channel } }
    func remove(_ channel: any Channel) { _ = table.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) } }
}
