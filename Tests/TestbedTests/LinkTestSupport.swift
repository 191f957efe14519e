import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem

/// A real TCP server from `Fixtures/links/tcp_tool.py` (python3, asyncio) on a loopback port.
final class ToolServer: Sendable {
    let process: Process
    let port: Int

    /// `arguments` follow the mode (`echo`, or `source SIZE SEED`).
    init(_ mode: String, _ arguments: [String] = []) async throws {
        let portFile = try makeTemporaryDirectory() + "/port"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", ToolServer.script, mode, portFile] + arguments
        process.standardInput = FileHandle.nullDevice
        try withUnblockedSignals { try process.run() }
        self.process = process
        let deadline = ContinuousClock.now + hangGuard  // python3's start, on a loaded machine
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text) {
                self.port = port
                return
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(process.processIdentifier, SIGKILL)
        throw TestFailure("tcp_tool.py \(mode) did not start")
    }

    var address: String { "127.0.0.1:\(port)" }

    deinit {
        // SIGKILL: a child spawned from a concurrency thread inherits its blocked signals.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/links/tcp_tool.py").path

    /// Runs a client mode of the tool and returns what it printed (stdout and stderr).
    static func run(_ arguments: [String]) async throws -> String {
        try await runCommand(["python3", script] + arguments)
    }
}

/// Runs a command to the end and returns its output (stdout and stderr together); waits on a
/// thread of its own, off the concurrency pool that every test in the process shares.
func runCommand(_ arguments: [String], environment: [String: String]? = nil) async throws -> String {
    try await onThread { try runCommandBlocking(arguments, environment: environment) }
}

private func runCommandBlocking(_ arguments: [String], environment: [String: String]?) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let environment { process.environment = environment }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// A TCP client socket with a receive timeout, for tests that talk byte by byte. Its calls
/// block a thread of their own (``onThread``), never one of the concurrency pool's.
final class TestClient: Sendable {
    let fd: Int32

    init(port: Int, timeout: Duration = .seconds(10)) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        address.sin_addr.s_addr = in_addr_t(INADDR_LOOPBACK).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let error = errno
            close(fd)
            throw TestClient.Failure(code: error)
        }
        var value = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    struct Failure: Error, CustomStringConvertible {
        var code: Int32
        var description: String { String(cString: strerror(code)) }
    }

    func send(_ text: String) async throws {
        try await onThread { try self.sendNow(text) }
    }

    private func sendNow(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { throw Failure(code: errno) }
    }

    /// Reads until `count` bytes arrived or the peer closed; throws on a reset or a timeout.
    func receive(_ count: Int) async throws -> String {
        String(decoding: try await receiveBytes(count), as: UTF8.self)
    }

    /// Like ``receive(_:)``, the raw bytes.
    func receiveBytes(_ count: Int) async throws -> [UInt8] {
        try await onThread { try self.receiveNow(count) }
    }

    private func receiveNow(_ count: Int) throws -> [UInt8] {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while data.count < count {
            let n = recv(fd, &buffer, min(buffer.count, count - data.count), 0)
            if n < 0 { throw Failure(code: errno) }
            if n == 0 { break }
            data += buffer[0..<n]
        }
        return data
    }

    /// Reads until the peer closes; returns each read's size and when it returned (blocking:
    /// call it on a thread of its own).
    func timedReads() throws -> [(count: Int, at: ContinuousClock.Instant)] {
        var reads: [(count: Int, at: ContinuousClock.Instant)] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 { throw Failure(code: errno) }
            if n == 0 { return reads }
            reads.append((n, ContinuousClock.now))
        }
    }

    /// Sends `text` and reads the same number of bytes back; returns them and the time it took.
    func roundTrip(_ text: String) async throws -> (String, Duration) {
        try await onThread {
            let start = ContinuousClock.now
            try self.sendNow(text)
            let answer = String(decoding: try self.receiveNow(text.utf8.count), as: UTF8.self)
            return (answer, ContinuousClock.now - start)
        }
    }
}
