#if canImport(Glibc)
import Glibc
#endif

/// A non-blocking TCP client socket for probes; closed when it goes out of scope.
///
/// Waiting never blocks a thread of the cooperative pool for more than a millisecond at a
/// time (there may be only two of them): readiness is polled in 1 ms slices with
/// `Task.sleep` in between, so a slow remote end does not stall other tasks. Loopback
/// connects complete at once, so the common case costs one `poll` or none.
struct ProbeSocket: ~Copyable {
    let fd: Int32
    /// `host:port` (or `[host]:port`) for messages.
    let endpoint: String

    private init(fd: Int32, endpoint: String) {
        self.fd = fd
        self.endpoint = endpoint
    }

    deinit { close(fd) }

    /// Connects to `host:port`, trying each address `host` resolves to, before `deadline`.
    ///
    /// Throws ``ProbeFailure`` (`unreachable` or `timedOut`) naming the endpoint.
    static func connect(host: String, port: Int, deadline: ContinuousClock.Instant,
                        timeout: Duration) async throws -> ProbeSocket {
        let endpoint = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let addresses = try SocketAddress.resolve(host: host, port: port)
        var lastFailure = ProbeFailure(.unreachable, "cannot connect to \(endpoint)")
        for address in addresses {
            let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                                | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                throw ProbeFailure(.unreachable, "cannot create a socket for \(endpoint): \(errnoText())")
            }
            let probe = ProbeSocket(fd: fd, endpoint: endpoint)
            // errno is read inside the closure: Swift code between the call and a later read may change it.
            var error = address.withSockaddr { Glibc.connect(fd, $0, $1) == 0 ? 0 : errno }
            while error == EINTR { error = address.withSockaddr { Glibc.connect(fd, $0, $1) == 0 ? 0 : errno } }
            if error == 0 { return probe }
            if error == EINPROGRESS {
                guard try await probe.wait(for: Int16(POLLOUT), until: deadline) else {
                    throw ProbeFailure(.timedOut, "timed out after \(timeout.probeDescription) connecting to \(endpoint)")
                }
                var soError: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                if getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length) != 0 { soError = errno }
                if soError == 0 { return probe }
                error = soError
            }
            lastFailure = error == ECONNREFUSED
                ? ProbeFailure(.unreachable, "connection refused on \(endpoint)")
                : ProbeFailure(.unreachable, "cannot connect to \(endpoint): \(errnoText(error))")
        }
        throw lastFailure
    }

    /// Waits until `events` are ready; false when `deadline` passes first.
    func wait(for events: Int16, until deadline: ContinuousClock.Instant) async throws -> Bool {
        var pause: Duration = .milliseconds(1)
        while true {
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let slice: Int32 = ContinuousClock.now < deadline ? 1 : 0
            let ready = poll(&descriptor, 1, slice)
            if ready > 0 { return true }
            if ready < 0 && errno != EINTR {
                throw ProbeFailure(.unreachable, "cannot wait for \(endpoint): \(errnoText())")
            }
            let now = ContinuousClock.now
            if now >= deadline { return false }
            try await Task.sleep(for: min(pause, deadline - now))
            pause = min(pause * 2, .milliseconds(10))
        }
    }

    /// Sends all of `bytes`; false when `deadline` passes first.
    func send(_ bytes: [UInt8], until deadline: ContinuousClock.Instant) async throws -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                offset += sent
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                guard try await wait(for: Int16(POLLOUT), until: deadline) else { return false }
            } else if errno != EINTR {
                throw ProbeFailure(.unreachable, "cannot send to \(endpoint): \(errnoText())")
            }
        }
        return true
    }

    /// Reads until the first line break and returns the line without it; nil when
    /// `deadline` passes first. Throws when the peer closes or resets before a full line.
    func readLine(until deadline: ContinuousClock.Instant, limit: Int = 8192) async throws -> String? {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            if let newline = received.firstIndex(of: 10) {
                let line = received[..<newline]
                return String(decoding: line.last == 13 ? line.dropLast() : line, as: UTF8.self)
            }
            if received.count >= limit {
                return String(decoding: received, as: UTF8.self)
            }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received.append(contentsOf: buffer[..<count])
            } else if count == 0 {
                throw ProbeFailure(.unexpectedAnswer, received.isEmpty
                    ? "\(endpoint) closed the connection without answering"
                    : "\(endpoint) closed the connection after \(received.count) bytes, before a full line")
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                guard try await wait(for: Int16(POLLIN), until: deadline) else { return nil }
            } else if errno != EINTR {
                throw ProbeFailure(.unreachable, "cannot read from \(endpoint): \(errnoText())")
            }
        }
    }
}

/// An IPv4 or IPv6 socket address.
struct SocketAddress {
    var storage = sockaddr_storage()
    var length: socklen_t = 0
    var family: Int32 = 0

    /// Numeric addresses are parsed directly (no resolver call: probes run every 10 ms);
    /// names go through `getaddrinfo`. `[::1]` brackets are accepted.
    static func resolve(host: String, port: Int) throws -> [SocketAddress] {
        var name = host
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        var address = SocketAddress()
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, name, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
            withUnsafeMutableBytes(of: &address.storage) { raw in
                withUnsafeBytes(of: v4) { raw.copyMemory(from: $0) }
            }
            address.length = socklen_t(MemoryLayout<sockaddr_in>.size)
            address.family = AF_INET
            return [address]
        }
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET6, name, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
            withUnsafeMutableBytes(of: &address.storage) { raw in
                withUnsafeBytes(of: v6) { raw.copyMemory(from: $0) }
            }
            address.length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            address.family = AF_INET6
            return [address]
        }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(name, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw ProbeFailure(.unreachable, "cannot resolve host '\(host)': \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var result: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            let info = entry.pointee
            if let sockaddr = info.ai_addr, info.ai_family == AF_INET || info.ai_family == AF_INET6 {
                var resolved = SocketAddress()
                withUnsafeMutableBytes(of: &resolved.storage) { raw in
                    raw.copyMemory(from: UnsafeRawBufferPointer(start: sockaddr, count: Int(info.ai_addrlen)))
                }
                resolved.length = info.ai_addrlen
                resolved.family = info.ai_family
                result.append(resolved)
            }
            cursor = info.ai_next
        }
        return result
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }
}
