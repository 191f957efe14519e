import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedLinks

/// No proxy forwards to a Toxiproxy endpoint, whatever the upstream's spelling and whichever
/// run the endpoint belongs to: its onward connection would come from the user running
/// testbed, which the endpoint allows, while anyone may connect to the proxy.
@Suite struct ToxiproxyEndpointGuardTests {
    typealias Fixture = ToxiproxyAPITests.Fixture

    /// The host's first non-loopback IPv4 address, if it has one.
    static var interfaceAddress: String? {
        EndpointGuard.localAddresses().first { $0.count == 4 && $0[0] != 127 }?.map(String.init).joined(separator: ".")
    }

    @Test(arguments: ["127.0.0.1", "0", "2130706433", "127.1", "0x7f.1", "[::ffff:127.0.0.1]", "localhost", "0.0.0.0",
                      "[::1]", "[::]", "127.0.0.2"])
    func aProxyToTheEndpointUnderAnyAliasIsRefused(host: String) async throws {
        let f = try await Fixture()
        let answer = try await f.call("POST", "/proxies", #"{"name":"x","upstream":"\#(host):\#(f.server.port)"}"#)
        #expect(answer.status == 400, "\(host)")
        let message = (answer.json as? [String: Any])?["error"] as? String ?? ""
        #expect(message.contains("Toxiproxy endpoint"), "\(message)")
        // Nor can an existing proxy be pointed there.
        _ = try await f.call("POST", "/proxies", #"{"name":"ok","upstream":"127.0.0.1:\#(f.echo.port)"}"#)
        let moved = try await f.call("POST", "/proxies/ok", #"{"upstream":"\#(host):\#(f.server.port)"}"#)
        #expect(moved.status == 400, "\(host)")
        #expect(f.links.all.map(\.upstream.port) == [f.echo.port])
        await f.close()
    }

    @Test(.enabled(if: interfaceAddress != nil, "the host has no non-loopback IPv4 address"))
    func aProxyToTheEndpointThroughAnInterfaceAddressIsRefused() async throws {
        let f = try await Fixture()
        let address = try #require(Self.interfaceAddress)
        let answer = try await f.call("POST", "/proxies", #"{"name":"x","upstream":"\#(address):\#(f.server.port)"}"#)
        #expect(answer.status == 400, "\(address)")
        await f.close()
    }

    @Test func aProxyToAnotherEndpointOfThisProcessIsRefused() async throws {
        let f = try await Fixture()
        let other = try await ToxiproxyServer.start(links: LinkSet(), port: try PortAllocator().reserve())
        let refused = try await f.call("POST", "/proxies", #"{"name":"x","upstream":"0:\#(other.port)"}"#)
        #expect(refused.status == 400)
        await other.stop()
        let port = other.port
        #expect(!EndpointGuard.isEndpoint(port: port), "a stopped endpoint is forgotten")
        await f.close()
    }

    /// Another process's endpoint is known by its marker beside its port lock, when the marker
    /// and the listening socket have the same owner; a marker of another user (here: a file
    /// handed to `nobody`) does not make a proxy to someone else's listener refused.
    @Test func anotherProcesssEndpointIsKnownByItsMarkerAndItsListenersOwner() async throws {
        let f = try await Fixture()
        let listener = try await ToolServer("echo")  // another process, of this user
        let folder = try PortAllocator().usableLockDirectory()
        let marker = "\(folder)/\(listener.port).toxiproxy"
        defer { unlink(marker) }
        let body = #"{"name":"x","upstream":"127.0.0.1:\#(listener.port)"}"#
        #expect(try await f.call("POST", "/proxies", body).status == 201, "no marker: an ordinary service")
        _ = try await f.call("DELETE", "/proxies/x")
        #expect(FileManager.default.createFile(atPath: marker, contents: nil))
        #expect(try await f.call("POST", "/proxies", body).status == 400, "marked by the user that listens there")
        if UnixUser.isRoot {
            #expect(chown(marker, 65534, 65534) == 0)
            #expect(try await f.call("POST", "/proxies", body).status == 201, "another user's marker does not count")
        }
        await f.close()
    }

    @Test func aMarkerIsWrittenWhileTheEndpointRunsAndRemovedAfter() async throws {
        let reservation = try PortAllocator().reserve()
        let marker = "\(reservation.lockDirectory)/\(reservation.port).toxiproxy"
        let server = try await ToxiproxyServer.start(links: LinkSet(), port: reservation)
        var info = stat()
        #expect(lstat(marker, &info) == 0 && info.st_uid == geteuid() && info.st_mode & 0o777 == 0o644)
        await server.stop()
        #expect(access(marker, F_OK) != 0)
    }
}
