import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The ports ``PortAllocator`` tries, in random order: those below the kernel's ephemeral
/// range (`/proc/sys/net/ipv4/ip_local_port_range`, 32768–60999 by default) and above 16383,
/// except the ports an administrator reserved (`ip_local_reserved_ports`).
///
/// The kernel gives ports of its ephemeral range to every outgoing connection and every
/// `bind(port 0)` of any process, so a port chosen there can be taken by an unrelated
/// connection in the moment between the reservation's release and the service's own bind.
/// Below the range, only a process that names the port can take it, and a Testbed run
/// always checks the port's lock first. When the ephemeral range leaves fewer than
/// ``minimumPool`` ports below it, the ports above it are used; when neither side has
/// enough, the kernel chooses (port 0), as it did before.
struct PortCandidates {
    /// The lowest port tried: leaves 1024–16383 to services configured with fixed ports.
    static let lowest = 16384
    /// The fewest ports a side of the ephemeral range must offer to be used.
    static let minimumPool = 2048

    /// The ports to choose from, or nil when the kernel chooses.
    let range: ClosedRange<Int>?
    /// Ports never tried.
    let reserved: Set<Int>

    /// The candidates for this machine's settings.
    static func current() -> PortCandidates {
        let ephemeral = parseRange(readProc("/proc/sys/net/ipv4/ip_local_port_range")) ?? 32768...60999
        return PortCandidates(ephemeral: ephemeral,
                              reserved: parseReserved(readProc("/proc/sys/net/ipv4/ip_local_reserved_ports")))
    }

    init(ephemeral: ClosedRange<Int>, reserved: Set<Int> = []) {
        self.reserved = reserved
        if ephemeral.lowerBound - Self.lowest >= Self.minimumPool {
            range = Self.lowest...(ephemeral.lowerBound - 1)
        } else if 65535 - ephemeral.upperBound >= Self.minimumPool {
            range = (ephemeral.upperBound + 1)...65535
        } else {
            range = nil
        }
    }

    /// A socket bound exclusively to a random candidate, or nil when that port is taken (or
    /// reserved). Throws ``PortError`` when no socket can be made at all.
    mutating func next() throws -> Int32? {
        guard let range else {
            do {
                return try PortAllocator.bindLoopback(port: 0)
            } catch {
                throw PortError(.system, port: nil, "cannot bind a loopback socket: \(errnoText(error.code))")
            }
        }
        let port = Int.random(in: range)
        if reserved.contains(port) { return nil }
        do {
            return try PortAllocator.bindLoopback(port: port, exclusive: true)
        } catch {
            switch error.code {
            case EADDRINUSE, EACCES: return nil
            default: throw PortError(.system, port: port, "cannot bind a loopback socket: \(errnoText(error.code))")
            }
        }
    }

    /// `32768\t60999` → 32768...60999.
    static func parseRange(_ text: String?) -> ClosedRange<Int>? {
        let numbers = (text ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
        guard numbers.count == 2, numbers[0] <= numbers[1] else { return nil }
        return numbers[0]...numbers[1]
    }

    /// `8080,20000-20010` → those ports (an empty file: none).
    static func parseReserved(_ text: String?) -> Set<Int> {
        var ports: Set<Int> = []
        for item in (text ?? "").split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == " " }) {
            let bounds = item.split(separator: "-").compactMap { Int($0) }
            if bounds.count == 1 {
                ports.insert(bounds[0])
            } else if bounds.count == 2, bounds[0] <= bounds[1], bounds[1] - bounds[0] < 65536 {
                ports.formUnion(bounds[0]...bounds[1])
            }
        }
        return ports
    }

    private static func readProc(_ path: String) -> String? {
        ProcessTable.read(path).map { String(decoding: $0, as: UTF8.self) }
    }
}
