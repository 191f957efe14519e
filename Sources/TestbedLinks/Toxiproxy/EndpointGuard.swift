import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

/// Recognises the Toxiproxy endpoints of this machine, so that no proxy forwards to one: a
/// proxy's onward connection comes from the user running Testbed (often root), which every
/// endpoint allows, while anyone on the machine may connect to the proxy's own port.
///
/// **Addresses, not spellings.** An upstream's host is resolved as the proxy's connect will
/// resolve it (`getaddrinfo`: `0`, `2130706433`, `127.1`, `[::ffff:127.0.0.1]`, names), and
/// every address it yields is checked. An address is local when it is a loopback address
/// (127.0.0.0/8, `::1`), a wildcard (`0.0.0.0`, `::`, which reach this host) or an address
/// of one of the host's interfaces (`getifaddrs`); IPv4-mapped IPv6 addresses count as
/// their IPv4 address. Names are resolved when the proxy is made.
///
/// **Endpoints, of this process and of others.** A port is an endpoint's when an endpoint
/// of this process listens on it, or when a marker `PORT.toxiproxy` beside the port's lock
/// file (in the shared port lock folder or any user's private one, see ``PortAllocator``)
/// belongs to the same user as the socket listening on that port (from `/proc/net/tcp`).
/// A marker counts only with a listener of its own user: another user can mark only the
/// ports it listens on itself, so it cannot make Testbed refuse a proxy to anyone else's
/// service.
enum EndpointGuard {
    /// Ports of the endpoints running in this process.
    private static let ownPorts = Mutex<Set<Int>>([])

    /// Records a started endpoint on `port` and writes its marker beside the port's lock
    /// file in `lockDirectory`; returns the marker's path (nil when it could not be written:
    /// the endpoint is then recognised within this process only).
    static func register(port: Int, lockDirectory: String?) -> String? {
        ownPorts.withLock { _ = $0.insert(port) }
        guard let lockDirectory else { return nil }
        let path = "\(lockDirectory)/\(port).toxiproxy"
        unlink(path)  // a stale marker of ours (a crashed run); another user's is not removable here
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
        guard fd >= 0 else { return nil }
        _ = fchmod(fd, 0o644)  // readable by other users' runs, which check it
        close(fd)
        return path
    }

    /// Forgets the endpoint on `port` and removes its marker.
    static func unregister(port: Int, marker: String?) {
        ownPorts.withLock { _ = $0.remove(port) }
        if let marker { unlink(marker) }
    }

    /// Why a proxy may not forward to `upstream` (written `text`), or nil when it may.
    /// Blocks: it resolves names and reads `/proc/net/tcp` (call it from ``BlockingWork``).
    static func refusal(for upstream: LinkAddress) -> String? {
        let local = localAddresses()
        for address in resolve(upstream) where isLocal(address, among: local) {
            if isEndpoint(port: upstream.port) {
                let shown = address.address.count == 4 ? address.address.map(String.init).joined(separator: ".") : "an IPv6 address"
                return "it reaches a Testbed Toxiproxy endpoint (\(shown):\(upstream.port) is this machine)"
            }
        }
        return nil
    }

    /// True when `port` is the port of a Toxiproxy endpoint of this process, or of another
    /// whose marker and listening socket have the same owner.
    static func isEndpoint(port: Int) -> Bool {
        if ownPorts.withLock({ $0.contains(port) }) { return true }
        let listeners = listeningUsers(port: port)
        guard !listeners.isEmpty else { return false }
        return markerOwners(port: port).contains { listeners.contains($0) }
    }

    /// The addresses `address`'s host resolves to, as the proxy's connect resolves them.
    static func resolve(_ address: LinkAddress) -> [PeerOwner.Endpoint] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(address.host, String(address.port), &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var result: [PeerOwner.Endpoint] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let bytes = entry.pointee.ai_addr.flatMap(addressBytes) {
                result.append(PeerOwner.Endpoint(address: bytes, port: address.port))
            }
            cursor = entry.pointee.ai_next
        }
        return result
    }

    /// True for a loopback or wildcard address, or one of `local` (the host's own).
    static func isLocal(_ endpoint: PeerOwner.Endpoint, among local: Set<[UInt8]>) -> Bool {
        let bytes = endpoint.address
        if bytes.count == 4 && (bytes[0] == 127 || bytes == [0, 0, 0, 0]) { return true }
        if bytes.count == 16 && (bytes.dropLast().allSatisfy { $0 == 0 }) && (bytes[15] == 0 || bytes[15] == 1) { return true }
        return local.contains(bytes)
    }

    /// The addresses of the host's interfaces (IPv4-mapped ones folded to IPv4).
    static func localAddresses() -> Set<[UInt8]> {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(first) }
        var result: Set<[UInt8]> = []
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            if let bytes = entry.pointee.ifa_addr.flatMap(addressBytes) {
                result.insert(PeerOwner.Endpoint(address: bytes, port: 0).address)
            }
            cursor = entry.pointee.ifa_next
        }
        return result
    }

    /// The address bytes of an IPv4 or IPv6 socket address.
    private static func addressBytes(_ pointer: UnsafeMutablePointer<sockaddr>) -> [UInt8]? {
        switch Int32(pointer.pointee.sa_family) {
        case AF_INET:
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                withUnsafeBytes(of: v4.pointee.sin_addr) { Array($0) }
            }
        case AF_INET6:
            return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                withUnsafeBytes(of: v6.pointee.sin6_addr) { Array($0) }
            }
        default:
            return nil
        }
    }

    /// The users owning a socket that listens on `port` (any address), from the kernel's tables.
    static func listeningUsers(port: Int) -> Set<uid_t> {
        var users: Set<uid_t> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = ProcessTable.read(table).map({ String(decoding: $0, as: UTF8.self) }) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 7, fields[3] == "0A", PeerOwner.endpoint(fields[1])?.port == port,
                      let uid = uid_t(fields[7]) else { continue }
                users.insert(uid)
            }
        }
        return users
    }

    /// The owners of regular files `PORT.toxiproxy` in the shared port lock folder and in every
    /// user's private one (`/tmp/testbed-ports-UID`), as far as this account may look.
    static func markerOwners(port: Int) -> [uid_t] {
        let shared = PortAllocator.defaultLockDirectory
        let parent = (shared as NSString).deletingLastPathComponent
        let prefix = (shared as NSString).lastPathComponent + "-"
        let folders = [shared] + ((try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [])
            .filter { $0.hasPrefix(prefix) }.map { "\(parent)/\($0)" }
        return folders.compactMap { folder in
            var info = stat()
            guard lstat("\(folder)/\(port).toxiproxy", &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
            return info.st_uid
        }
    }
}
