import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The Unix socket through which `testbed status/env/reset/down` talk to the supervisor
/// of a detached environment: one request line in, one JSON line out, then close.
public enum ControlSocket {
    /// Serves requests on `path` on a thread of its own until the process exits.
    /// `handler` gets the request line and returns the response (a JSON object).
    public static func serve(at path: String, _ handler: @escaping @Sendable (String) async -> [String: any Sendable]) throws {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlError("cannot create a socket: \(String(cString: strerror(errno)))") }
        var address = try unixAddress(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw ControlError("cannot listen on \(path): \(String(cString: strerror(errno)))")
        }
        chmod(path, 0o600)
        Thread.detachNewThread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { if errno == EINTR { continue } else { return } }
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                let request = readLine(client)
                Task {
                    let response = await handler(request)
                    let data = (try? JSONSerialization.data(withJSONObject: response, options: [.sortedKeys])) ?? Data("{}".utf8)
                    writeAll(client, data + Data([10]))
                    close(client)
                }
            }
        }
    }

    /// Sends `request` to the socket at `path` and returns the decoded response.
    public static func send(_ request: String, to path: String, timeout: Duration = .seconds(120)) throws -> [String: Any] {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlError("cannot create a socket") }
        defer { close(fd) }
        var address = try unixAddress(path)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw ControlError("the supervisor does not answer at \(path): \(String(cString: strerror(errno)))") }
        var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        writeAll(fd, Data((request + "\n").utf8))
        let line = readLine(fd)
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw ControlError("the supervisor gave no answer to '\(request)'")
        }
        return object
    }

    private static func unixAddress(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw ControlError("the socket path \(path) is too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        return address
    }

    private static func readLine(_ fd: Int32) -> String {
        var data = Data()
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1 {
            if byte == 10 { break }
            data.append(byte)
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func writeAll(_ fd: Int32, _ data: Data) {
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { if errno == EINTR { continue } else { return } }
                offset += written
            }
        }
    }
}

/// A detached environment could not be found or reached, or its control socket failed.
public struct ControlError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, written for the user (e.g. which environments are running instead).
    public var description: String
    /// Makes an error with a message for the user.
    public init(_ description: String) { self.description = description }
}
