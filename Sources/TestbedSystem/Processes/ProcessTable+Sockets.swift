import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension ProcessTable {
    /// One TCP socket of `/proc/net/tcp` or `/proc/net/tcp6` (this network namespace's).
    package struct TCPSocket: Sendable, Hashable {
        /// The local port.
        package var port: Int
        /// True in state LISTEN.
        package var isListening: Bool
        /// The account that made the socket (readable for every socket, whoever owns it).
        package var uid: uid_t
        /// The socket's inode, which `/proc/PID/fd/N` links to as `socket:[INODE]`; 0 for a
        /// socket no process holds any more (TIME_WAIT).
        package var inode: UInt64
    }

    /// A process that holds a socket, as far as this account can see it.
    package struct SocketHolder: Sendable, Hashable, CustomStringConvertible {
        /// The holder's pid; nil when the socket's owner is another account whose descriptors
        /// this account cannot read.
        package var pid: Int32?
        /// Its command line, shortened; nil with `pid`.
        package var command: String?
        /// The account the socket belongs to.
        package var uid: uid_t

        /// `pid 1234 (python3 -m http.server 8000)`, or `a process of user 'postgres' (uid
        /// 105), whose details this account cannot read`.
        package var description: String {
            if let pid { return "pid \(pid)" + (command.map { " (\($0))" } ?? "") }
            let name = getpwuid(uid).map { String(cString: $0.pointee.pw_name) }
            return "a process of user " + (name.map { "'\($0)' (uid \(uid))" } ?? "uid \(uid)")
                + ", whose details this account cannot read"
        }
    }

    /// Every TCP socket, IPv4 and IPv6.
    package static func tcpSockets() -> [TCPSocket] {
        ["/proc/net/tcp", "/proc/net/tcp6"].flatMap { path in
            read(path).map { parseTCP(String(decoding: $0, as: UTF8.self)) } ?? []
        }
    }

    /// Parses the lines of `/proc/net/tcp{,6}` (after the header):
    /// `sl local_address rem_address st … uid timeout inode …`, addresses `HEX:PORTHEX`.
    static func parseTCP(_ text: String) -> [TCPSocket] {
        text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 9, let colon = fields[1].lastIndex(of: ":"),
                  let port = Int(fields[1][fields[1].index(after: colon)...], radix: 16),
                  let uid = uid_t(fields[7]), let inode = UInt64(fields[9]) else { return nil }
            return TCPSocket(port: port, isListening: fields[3] == "0A", uid: uid, inode: inode)
        }
    }

    /// The inodes of the sockets `pid` has open (`/proc/PID/fd`); empty when they cannot be read
    /// (another account's process, unless this one is root).
    package static func socketInodes(of pid: Int32) -> Set<UInt64> {
        let folder = "/proc/\(pid)/fd"
        guard let directory = opendir(folder) else { return [] }
        defer { closedir(directory) }
        var inodes: Set<UInt64> = []
        var target = [CChar](repeating: 0, count: 64)
        while let item = readdir(directory) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard Int(name) != nil else { continue }
            let count = readlink("\(folder)/\(name)", &target, target.count - 1)
            guard count > 0 else { continue }
            let link = String(decoding: target[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if link.hasPrefix("socket:["), let inode = UInt64(link.dropFirst(8).dropLast()) { inodes.insert(inode) }
        }
        return inodes
    }

    /// The ports the processes of group `pgid` listen on (TCP, IPv4 or IPv6), sorted.
    package static func listeningPorts(ofGroup pgid: Int32) -> [Int] {
        let inodes = members(ofGroup: pgid).filter(\.isLive).reduce(into: Set<UInt64>()) { $0.formUnion(socketInodes(of: $1.pid)) }
        guard !inodes.isEmpty else { return [] }
        return Set(tcpSockets().filter { $0.isListening && inodes.contains($0.inode) }.map(\.port)).sorted()
    }

    /// Who holds TCP port `port` (a listening socket first): the process when this account can
    /// read its descriptors, else only the socket's account. nil when no process holds a socket
    /// of the port (nothing bound, or only connections in TIME_WAIT).
    package static func holder(ofPort port: Int) -> SocketHolder? {
        let sockets = tcpSockets().filter { $0.port == port && $0.inode != 0 }.sorted { $0.isListening && !$1.isListening }
        guard let socket = sockets.first else { return nil }
        let inodes = Set(sockets.map(\.inode))
        for entry in all() where entry.isLive {
            guard !socketInodes(of: entry.pid).isDisjoint(with: inodes) else { continue }
            let command = commandLine(entry.pid).map { words -> String in
                let text = words.joined(separator: " ")
                return text.count > 80 ? String(text.prefix(77)) + "..." : text
            }
            return SocketHolder(pid: entry.pid, command: command, uid: socket.uid)
        }
        return SocketHolder(pid: nil, command: nil, uid: socket.uid)
    }
}
