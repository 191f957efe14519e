import NIOCore
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

/// A non-blocking `connect` tried on the calling thread before anything goes to the event
/// loop, and a `poll` that does not wait: on loopback (every probe of a local service) the
/// connect has completed or been refused by then,
/// and then costs two system calls where a connect through NIO costs a channel, its
/// registration and two thread hops (docs/benchmarks.md, "Health probes' CPU").
enum ImmediateConnect {
    /// What the connect did at once.
    enum Outcome {
        /// Connected: the caller owns the descriptor (non-blocking, close-on-exec).
        case connected(Int32)
        /// Refused or failed at once.
        case failed(PlainHTTPError)
        /// Neither yet (`EINPROGRESS`, a remote host): the socket is closed and the connect is
        /// made again by NIO, which waits for it on the event loop.
        case pending
    }

    /// Connects to `address` without waiting. Only non-blocking system calls.
    static func attempt(_ address: SocketAddress, endpoint: PlainHTTPEndpoint) -> Outcome {
        let fd = socket(address.protocol.rawValue, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                            | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .pending }  // out of descriptors, say: NIO reports it
        // errno is read inside the closure: Swift code between the call and a later read may change it.
        var error = address.withSockAddr { Glibc.connect(fd, $0, socklen_t($1)) == 0 ? 0 : errno }
        while error == EINTR { error = address.withSockAddr { Glibc.connect(fd, $0, socklen_t($1)) == 0 ? 0 : errno } }
        if error == EINPROGRESS {
            // On loopback the handshake is done by the time connect returns: a poll that does
            // not wait says so (and how it ended).
            var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            if poll(&descriptor, 1, 0) == 1 {
                var length = socklen_t(MemoryLayout<Int32>.size)
                if getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 { error = errno }
            }
        }
        if error == 0 { return .connected(fd) }
        close(fd)
        switch error {
        case EINPROGRESS, EAGAIN: return .pending
        case ECONNREFUSED: return .failed(PlainHTTPError(.refused, endpoint, "connection refused on \(endpoint)", errno: error))
        default: return .failed(PlainHTTPError(.cannotConnect, endpoint, "cannot connect to \(endpoint): \(errnoText(error))", errno: error))
        }
    }
}
