import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

/// The Unix socket through which `testbed status/env/reset/down` talk to the supervisor
/// of a detached environment: one ``ControlRequest`` line in, one ``ControlResponse`` line
/// out (JSON), then close.
///
/// The socket is 0600 inside the run directory (0700): only the account that started the
/// environment can connect.
package enum ControlSocket {
    /// Serves requests on `path` on a thread of its own until the process exits.
    /// A line that is not a ``ControlRequest`` is answered with a failure.
    package static func serve(at path: String, _ handler: @escaping @Sendable (ControlRequest) async -> ControlResponse) throws {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlError(.system, "cannot create a socket: \(errnoText())") }
        var address = try unixAddress(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw ControlError(.system, "cannot listen on \(path): \(errnoText())")
        }
        chmod(path, 0o600)
        Thread.detachNewThread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { if errno == EINTR { continue } else { return } }
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                let line = readLine(client)
                Task {
                    let response: ControlResponse
                    if let request = try? JSONDecoder().decode(ControlRequest.self, from: Data(line.utf8)) {
                        response = await handler(request)
                    } else {
                        response = .failure("unknown request '\(line.prefix(80))'")
                    }
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                    let data = (try? encoder.encode(response)) ?? Data("{}".utf8)
                    writeAll(client, data + Data([10]))
                    close(client)
                }
            }
        }
    }

    /// Sends `request` to the socket at `path` and returns the supervisor's answer.
    ///
    /// Throws ``ControlError``: `permissionDenied` when the socket belongs to another account
    /// (EACCES/EPERM, with the cause), `unreachable` when nobody listens, `noAnswer` when the
    /// supervisor accepted but did not answer within `timeout`.
    package static func send(_ request: ControlRequest, to path: String,
                            timeout: Duration = .seconds(120)) throws(ControlError) -> ControlResponse {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlError(.system, "cannot create a socket: \(errnoText())") }
        defer { close(fd) }
        var address = try unixAddress(path)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            if code == EACCES || code == EPERM {
                throw ControlError(.permissionDenied, "cannot reach the supervisor at \(path): \(String(cString: strerror(code))); "
                    + "the environment belongs to another user (uid \(geteuid()) may not connect)")
            }
            throw ControlError(.unreachable, "the supervisor does not answer at \(path): \(String(cString: strerror(code)))")
        }
        var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let encoded = (try? JSONEncoder().encode(request)) ?? Data()
        writeAll(fd, encoded + Data([10]))
        let line = readLine(fd)
        guard let response = try? JSONDecoder().decode(ControlResponse.self, from: Data(line.utf8)) else {
            throw ControlError(.noAnswer, "the supervisor gave no answer to '\(request.summary)'")
        }
        return response
    }

    private static func unixAddress(_ path: String) throws(ControlError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw ControlError(.system, "the socket path \(path) is too long")
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
package struct ControlError: TestbedError {
    /// What kind of failure this is.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code's short name.
        public let description: String
        private init(_ description: String) { self.description = description }
        /// No detached environment by that name (or none at all) is running.
        package static let notRunning = Code("not running")
        /// Several are running and none was named.
        package static let ambiguous = Code("ambiguous")
        /// The name is not a valid environment name.
        package static let invalidName = Code("invalid name")
        /// The environment or its supervisor belongs to another account (EACCES, EPERM).
        package static let permissionDenied = Code("permission denied")
        /// Nobody listens on the control socket.
        package static let unreachable = Code("unreachable")
        /// The supervisor accepted the connection but gave no answer.
        package static let noAnswer = Code("no answer")
        /// The supervisor did not stop.
        package static let stillRunning = Code("still running")
        /// A system call failed.
        package static let system = Code("system")
    }

    /// What kind of failure this is.
    package var code: Code
    /// What went wrong, written for the user (e.g. which environments are running instead).
    package var message: String
    /// Makes an error with a message for the user.
    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
