import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

/// Finds which user owns the other end of a loopback TCP connection, from the kernel's
/// socket tables (`/proc/net/tcp` and `/proc/net/tcp6`).
///
/// Toxiproxy clients send no credentials, so the control endpoint authenticates the
/// *socket*: the client's end of an accepted connection is a socket on this machine whose
/// local address is the connection's remote address, and the kernel records the user that
/// created it. Only an `ESTABLISHED` entry counts: a socket its owner has closed is shown
/// as owned by root (a time-wait entry, or an orphan on older kernels), which must not
/// pass for root.
///
/// Linux caveat: the tables show the sockets of this network namespace only, which is
/// where a loopback client is.
package enum PeerOwner {
    /// One side of a TCP connection: an IPv4 address (4 bytes; IPv4-mapped IPv6 addresses
    /// are folded to IPv4) or an IPv6 address (16 bytes), and a port.
    package struct Endpoint: Hashable, Sendable {
        /// The address bytes in network order.
        package var address: [UInt8]
        /// The port number.
        package var port: Int

        /// Makes an endpoint; a 16-byte IPv4-mapped address is folded to its 4 IPv4 bytes.
        package init(address: [UInt8], port: Int) {
            if address.count == 16, address[0..<10].allSatisfy({ $0 == 0 }), address[10] == 0xFF, address[11] == 0xFF {
                self.address = Array(address[12...])
            } else {
                self.address = address
            }
            self.port = port
        }
    }

    /// The user id owning the socket at `peer` that is connected to `local`, or nil when no
    /// established socket of this namespace matches (the client has gone, or is elsewhere).
    /// Blocks: it reads tables as long as the machine's sockets (call it from ``BlockingWork``).
    package static func uid(peer: Endpoint, local: Endpoint) -> uid_t? {
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = ProcessTable.read(table).map({ String(decoding: $0, as: UTF8.self) }) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                if let uid = match(line, peer: peer, local: local) { return uid }
            }
        }
        return nil
    }

    /// The uid of one table line when it is the established socket `peer` → `local`.
    static func match(_ line: Substring, peer: Endpoint, local: Endpoint) -> uid_t? {
        // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count > 7, fields[3] == "01",
              let own = endpoint(fields[1]), own == peer,
              let remote = endpoint(fields[2]), remote == local else { return nil }
        return uid_t(fields[7])
    }

    /// Parses `0100007F:1F90` (IPv4) or 32 hex digits `:PORT` (IPv6). The kernel prints
    /// each 32-bit word of the address as a number in host byte order.
    static func endpoint(_ field: Substring) -> Endpoint? {
        let parts = field.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1], radix: 16),
              parts[0].count == 8 || parts[0].count == 32 else { return nil }
        var bytes: [UInt8] = []
        var rest = parts[0]
        while !rest.isEmpty {
            guard let word = UInt32(rest.prefix(8), radix: 16) else { return nil }
            withUnsafeBytes(of: word) { bytes.append(contentsOf: $0) }
            rest = rest.dropFirst(8)
        }
        return Endpoint(address: bytes, port: port)
    }
}
