import Foundation
import NIOCore
import Testing
@testable import Testbed
@testable import TestbedLinks

/// The proxy engine with real TCP servers and clients: bytes, connections, and each fault.
@Suite(.serialized)
struct LinkProxyTests {
    private func makeLink(to server: ToolServer, seed: UInt64? = nil) async throws -> (LinkSet, Link) {
        let links = LinkSet()
        let link = try await links.create(.init(name: "l", listen: "127.0.0.1:0", upstream: server.address), seed: seed)
        return (links, link)
    }

    @Test func bytesGoThroughUnchanged() async throws {
        let server = try await ToolServer("echo")
        let (links, link) = try await makeLink(to: server)
        defer { Task { await links.deleteAll() } }
        #expect(link.listen.port != 0)
        let client = try TestClient(port: link.listen.port)
        #expect(try await client.roundTrip("hello through a link\n").0 == "hello through a link\n")
        #expect(link.connectionCount == 1)
    }

    /// Both sockets of a connection have TCP_NODELAY (an IPPROTO_TCP option; the SOL_SOCKET
    /// option of the same number is SO_DEBUG, which only root may set): small writes leave
    /// at once, and an unprivileged user's link accepts at all.
    @Test func bothSocketsOfAConnectionHaveNoDelay() async throws {
        let server = try await ToolServer("echo")
        let (links, link) = try await makeLink(to: server)
        defer { Task { await links.deleteAll() } }
        let client = try TestClient(port: link.listen.port)
        #expect(try await client.roundTrip("hello\n").0 == "hello\n", "the link relays bytes (as root and as anyone else)")
        let proxy = try #require(link.proxy as? LinkProxy)
        let channels = await proxy.openChannels()
        #expect(channels.count == 2, "the client-facing and the upstream channel")
        for channel in channels {
            let local = channel.localAddress?.description ?? "?"
            #expect(try await channel.getOption(ChannelOptions.tcpOption(.tcp_nodelay)).get() != 0, "TCP_NODELAY on \(local)")
            #expect(try await channel.getOption(ChannelOptions.socketOption(.init(rawValue: SO_DEBUG))).get() == 0, "no SO_DEBUG on \(local)")
        }
    }

    /// Slices are spaced by `delay` across chunks: by any moment, no more slices have
    /// arrived than were due since the client connected (one at once, then one per `delay`),
    /// however the source's chunks were cut. A busy event loop may deliver slices late, and
    /// then together, but never early.
    @Test func slicerSpacesEverySliceByItsDelay() async throws {
        let (size, slice, delay) = (64_000, 1000, Duration.milliseconds(5))
        let server = try await ToolServer("source", ["\(size)", "11"])
        let (links, link) = try await makeLink(to: server)
        defer { Task { await links.deleteAll() } }
        try link.add(.slicer(averageSize: slice, delay: delay))
        let connected = ContinuousClock.now
        let client = try TestClient(port: link.listen.port)
        let reads = try await onThread { try client.timedReads() }
        #expect(reads.reduce(0) { $0 + $1.count } == size)
        let took = try #require(reads.last).at - connected
        #expect(took >= delay * (size / slice - 1), "\(size / slice) slices \(delay) apart arrived in \(took)")
        var received = 0
        for read in reads {
            received += read.count
            let due = (Int((read.at - connected) / delay) + 1) * slice
            #expect(received <= due, "\(received) bytes by \(read.at - connected), only \(due) were due")
            if received > due { break }
        }
    }

    @Test func aFaultChangesAnOpenIdleConnectionAtOnce() async throws {
        let server = try await ToolServer("echo")
        let (links, link) = try await makeLink(to: server)
        defer { Task { await links.deleteAll() } }
        let client = try TestClient(port: link.listen.port)
        _ = try await client.roundTrip("warm\n")  // the connection exists and is idle
        try await link.with(.latency(.milliseconds(300), stream: .upstream)) {
            let (answer, took) = try await client.roundTrip("slow\n")
            #expect(answer == "slow\n")
            #expect(took >= .milliseconds(290), "the open connection's next round trip waited for the new latency")
        }
        #expect(link.faults.isEmpty, "with() removed its fault")
    }

    @Test func slicerTransfers100MegabytesByteExact() async throws {
        let size = 100 << 20
        let server = try await ToolServer("source", ["\(size)", "7"])
        let (links, link) = try await makeLink(to: server)
        defer { Task { await links.deleteAll() } }
        try link.add(.slicer(averageSize: 1400, sizeVariation: 600, seed: 1))
        let output = try await ToolServer.run(["fetch", "\(link.listen.port)", "\(size)", "7"])
        let fields = output.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(fields.count == 3, "\(output)")
        #expect(fields.first == "\(size)")
        #expect(fields.count == 3 && fields[1] == fields[2], "sha256 through the link equals the source's")
    }

    @Test(arguments: [false, true])
    func aHalfClosedClientStillGetsEverything(withLatency: Bool) async throws {
        let size = 8 << 20
        let server = try await ToolServer("source", ["\(size)", "9"])
        let (links, link) = try await makeLink(to: server)
        defer { Task { await links.deleteAll() } }
        if withLatency { try link.add(.latency(.milliseconds(5))) }
        let output = try await ToolServer.run(["fetch", "\(link.listen.port)", "\(size)", "9", "half"])
        let fields = output.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(fields.count == 3 && fields[0] == "\(size)" && fields[1] == fields[2], "\(output)")
    }

    @Test func thousandConcurrentConnectionsLoseNothing() async throws {
        let server = try await ToolServer("echo")
        let (links, link) = try await makeLink(to: server)
        defer { Task { await links.deleteAll() } }
        let output = try await ToolServer.run(["many", "\(link.listen.port)", "1000"])
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "ok 1000")
        #expect(await eventually { link.connectionCount == 0 }, "closed connections leave the table")
    }

    @Test func downRefusesAndCutsThenUpAcceptsAgain() async throws {
        let server = try await ToolServer("echo")
        let (links, link) = try await makeLink(to: server)
        defer { Task { await links.deleteAll() } }
        let client = try TestClient(port: link.listen.port)
        _ = try await client.roundTrip("before\n")
        await link.down()
        #expect(!link.enabled)
        #expect(try await client.receive(1) == "", "the open connection was cut (EOF)")
        #expect(throws: TestClient.Failure.self, "new connections are refused") { try TestClient(port: link.listen.port) }
        try await link.up()
        let again = try TestClient(port: link.listen.port)
        #expect(try await again.roundTrip("after\n").0 == "after\n")
    }

    @Test func resetPeerSendsAReset() async throws {
        let server = try await ToolServer("echo")
        let (links, link) = try await makeLink(to: server)
        defer { Task { await links.deleteAll() } }
        let client = try TestClient(port: link.listen.port)
        _ = try await client.roundTrip("before\n")
        try link.add(.resetPeer())
        let error = await #expect(throws: TestClient.Failure.self) { _ = try await client.receive(1) }
        #expect(error?.code == ECONNRESET)
    }

    @Test func timeoutDropsDataThenCloses() async throws {
        let server = try await ToolServer("echo")
        let (links, link) = try await makeLink(to: server)
        defer { Task { await links.deleteAll() } }
        let client = try TestClient(port: link.listen.port)
        try link.add(.timeout(after: .milliseconds(200), stream: .upstream))
        let start = ContinuousClock.now
        try await client.send("dropped\n")
        #expect(try await client.receive(8) == "", "nothing came back, then the link closed the connection")
        #expect(ContinuousClock.now - start >= .milliseconds(190))
    }

    @Test func limitDataClosesAfterTheLimit() async throws {
        let server = try await ToolServer("source", ["100000", "3"])
        let (links, link) = try await makeLink(to: server)
        defer { Task { await links.deleteAll() } }
        try link.add(.limitData(bytes: 1000))
        let output = try await ToolServer.run(["fetch", "\(link.listen.port)", "100000", "3"])
        #expect(output.hasPrefix("1000 "), "\(output)")
    }

    @Test func slowCloseDelaysTheClose() async throws {
        let server = try await ToolServer("source", ["10", "3"])
        let (links, link) = try await makeLink(to: server)
        defer { Task { await links.deleteAll() } }
        try link.add(.slowClose(.milliseconds(300)))
        let client = try TestClient(port: link.listen.port)
        let start = ContinuousClock.now
        #expect(try await client.receiveBytes(100).count == 10)
        #expect(ContinuousClock.now - start >= .milliseconds(290), "the server's close reached the client late")
    }

    @Test func bandwidthHoldsTheRate() async throws {
        let server = try await ToolServer("source", ["\(512 << 10)", "5"])
        let (links, link) = try await makeLink(to: server)
        defer { Task { await links.deleteAll() } }
        try link.add(.bandwidth(kilobytesPerSecond: 1024))
        let start = ContinuousClock.now
        let output = try await ToolServer.run(["fetch", "\(link.listen.port)", "\(512 << 10)", "5"])
        #expect(output.hasPrefix("\(512 << 10) "), "\(output)")
        #expect(ContinuousClock.now - start >= .milliseconds(450), "512 KB at 1024 KB/s takes half a second")
    }

    @Test func toxicityZeroLeavesConnectionsAlone() async throws {
        let server = try await ToolServer("echo")
        let (links, link) = try await makeLink(to: server)
        defer { Task { await links.deleteAll() } }
        try link.add(.resetPeer(toxicity: 0))
        let client = try TestClient(port: link.listen.port)
        #expect(try await client.roundTrip("spared\n").0 == "spared\n")
    }
}
