import TestbedModel
/// A TCP address written `host:port` (`[::1]:port` for IPv6), as Toxiproxy writes `listen`
/// and `upstream`.
package struct LinkAddress: Sendable, Hashable, CustomStringConvertible {
    /// A host name or an IP address (IPv6 without brackets).
    package var host: String
    /// The TCP port; 0 in a listen address asks for a free port.
    package var port: Int

    /// Makes an address.
    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `[v6]:port` or `:port` (host 127.0.0.1). Throws ``LinkError``
    /// (`invalidAddress`) naming what was given.
    package init(parsing text: String) throws {
        let bad = LinkError(.invalidAddress, "address '\(text)' is not HOST:PORT (e.g. 127.0.0.1:0 or localhost:5432)")
        guard let colon = text.lastIndex(of: ":") else { throw bad }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "127.0.0.1" }
        guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port),
              !host.contains(where: { $0 == "/" || $0.isWhitespace })
        else { throw bad }
        self.init(host: host, port: port)
    }

    /// True for addresses only this machine can reach: 127.0.0.0/8, ::1 and localhost.
    package var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// `host:port`, with brackets around an IPv6 host.
    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
