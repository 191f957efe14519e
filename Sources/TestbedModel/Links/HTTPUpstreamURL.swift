/// Where an HTTP link forwards: `http` or `https`, a host, a port and a base path that is
/// put in front of every request's path (`https://api.example/v1` + `/charges`).
package struct HTTPUpstreamURL: Sendable, Hashable, CustomStringConvertible {
    /// `http` or `https`.
    package var scheme: String
    /// The host name or IP address (IPv6 without brackets).
    package var host: String
    /// The port (80 / 443 when the URL names none).
    package var port: Int
    /// The base path without a trailing `/`; empty for none.
    package var basePath: String

    /// Makes an upstream URL.
    package init(scheme: String = "http", host: String, port: Int, basePath: String = "") {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.basePath = basePath
    }

    /// Parses `http(s)://host[:port][/base]`. Throws ``LinkError`` (`invalidAddress`) saying
    /// what is wrong: another scheme, no host, a bad port, a query or fragment, user info.
    package init(parsing text: String) throws {
        func bad(_ why: String) -> LinkError {
            LinkError(.invalidAddress, "upstream URL '\(text)' \(why): write http(s)://HOST[:PORT][/BASE], e.g. https://api.example.com/v1")
        }
        guard let separator = text.range(of: "://") else { throw bad("has no scheme") }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { throw bad("has the scheme '\(scheme)'; only http and https are supported") }
        var rest = Substring(text[separator.upperBound...])
        guard !rest.contains("?"), !rest.contains("#") else { throw bad("has a query or fragment") }
        guard !rest.contains(where: { $0.isWhitespace }) else { throw bad("contains white space") }
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[slash...])
            rest = rest[..<slash]
        }
        guard !rest.contains("@") else { throw bad("has user info; put credentials in headers, not the URL") }
        var host = String(rest)
        var port = scheme == "https" ? 443 : 80
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw bad("has an unclosed '['") }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") {
                guard let number = Int(after.dropFirst()), (1...65535).contains(number) else { throw bad("has a bad port") }
                port = number
            } else if !after.isEmpty { throw bad("has text after ']'") }
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":") {
            guard let number = Int(host[host.index(after: colon)...]), (1...65535).contains(number) else { throw bad("has a bad port") }
            port = number
            host = String(host[..<colon])
        }
        guard !host.isEmpty else { throw bad("has no host") }
        while path.hasSuffix("/") { path.removeLast() }
        self.init(scheme: scheme, host: host, port: port, basePath: path)
    }

    /// The URL for a request target (`/charges?id=7`): scheme, host, port, base path + target.
    package func url(for target: String) -> String {
        "\(origin)\(basePath)\(target.hasPrefix("/") ? target : "/" + target)"
    }

    /// `scheme://host:port`.
    package var origin: String {
        "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    /// The URL as written, base path included.
    package var description: String { origin + basePath }
}
