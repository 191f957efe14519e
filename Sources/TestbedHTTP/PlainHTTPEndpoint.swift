import NIOCore
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

/// Where a ``PlainHTTPClient`` connects: a host (an IP literal or a name) and a TCP port.
package struct PlainHTTPEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 or IPv6 literal (without brackets) or a name.
    var host: String
    /// The TCP port (1–65535).
    var port: Int

    /// Makes an endpoint; `[::1]`-style brackets are taken off.
    package init(host: String, port: Int) {
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = port
    }

    /// `host:port`, or `[host]:port` for IPv6, for messages.
    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The `Host` header's value: the host (IPv6 in brackets), with `:port` unless it is 80.
    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? name : "\(name):\(port)"
    }

    /// The addresses to try, in order: an IP literal's at once (probes run every few ms, so
    /// no resolver call), a name's through `getaddrinfo` on a ``BlockingWork`` thread.
    ///
    /// Throws ``PlainHTTPError`` (`cannotResolve`).
    func addresses() async throws(PlainHTTPError) -> [SocketAddress] {
        if let address = try? SocketAddress(ipAddress: host, port: port) { return [address] }
        let (host, port) = (host, port)
        let resolved = await BlockingWork.run { Self.resolve(host: host, port: port) }
        return try resolved.get()
    }

    /// `getaddrinfo` for TCP: every IPv4 and IPv6 address of `host`, in the resolver's order.
    private static func resolve(host: String, port: Int) -> Result<[SocketAddress], PlainHTTPError> {
        let endpoint = PlainHTTPEndpoint(host: host, port: port)
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            return .failure(PlainHTTPError(.cannotResolve, endpoint, "cannot resolve host '\(host)': \(String(cString: gai_strerror(status)))"))
        }
        defer { freeaddrinfo(first) }
        var result: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            let info = entry.pointee
            if let address = info.ai_addr {
                if info.ai_family == AF_INET {
                    result.append(address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee, host: host) })
                } else if info.ai_family == AF_INET6 {
                    result.append(address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee, host: host) })
                }
            }
            cursor = info.ai_next
        }
        guard !result.isEmpty else {
            return .failure(PlainHTTPError(.cannotResolve, endpoint, "cannot resolve host '\(host)': no IPv4 or IPv6 address"))
        }
        return .success(result)
    }
}
