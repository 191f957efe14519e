import Foundation
import Testing
@testable import Testbed
@testable import TestbedHealth

/// A listening TCP socket on 127.0.0.1 for probe tests: it either never accepts (the
/// kernel still completes connections into its queue) or accepts and closes on a thread.
final class TestListener: @unchecked Sendable {
    // @unchecked: fd is immutable after init; the accept thread only reads it.
    let fd: Int32
    let port: Int

    init(port: Int = 0, reuseAddress: Bool = true, acceptAndClose: Bool = false) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var one: Int32 = 1
        if reuseAddress { setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        address.sin_addr.s_addr = in_addr_t(INADDR_LOOPBACK).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 4096) == 0 else {
            let error = errno
            close(fd)
            throw TestFailure("cannot listen on 127.0.0.1:\(port): \(String(cString: strerror(error)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
        if acceptAndClose {
            Thread.detachNewThread {
                while true {
                    let client = accept(fd, nil, nil)
                    if client < 0 { if errno == EINTR { continue } else { return } }
                    close(client)
                }
            }
        }
    }

    deinit {
        shutdown(fd, Int32(SHUT_RDWR))  // wakes a blocked accept
        close(fd)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A fresh directory, under one parent per test process that is emptied at the next run.
func makeTemporaryDirectory() throws -> String {
    let path = testDirectoryParent + "/" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The test process's environment, handed to child processes.
var inheritedEnvironment: [String: String] { ProcessInfo.processInfo.environment }

/// Calls `probe` until it passes or `limit` runs out; returns the last failure, if any.
///
/// The attempt after the limit always happens: on a loaded machine the loop may not get
/// to run again before the deadline, or at all, and a probe that would pass must not be
/// reported as failing because the helper gave up first. `limit` is a generous bound for
/// a slow start, not a figure under test.
func pollUntilHealthy(_ probe: some HealthProbe, limit: Duration = .seconds(60)) async -> Error? {
    let deadline = ContinuousClock.now + limit
    while true {
        let isLast = ContinuousClock.now >= deadline
        do {
            try await probe.attempt(timeout: isLast ? .seconds(5) : .milliseconds(500))
            return nil
        } catch {
            if isLast { return error }
        }
        try? await Task.sleep(for: .milliseconds(10))
    }
}

/// Processes whose command line is exactly `argv`, found in /proc (zombies have none).
func processes(withCommandLine argv: [String]) -> [String] {
    let wanted = argv.joined(separator: "\0") + "\0"
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.filter { entry in
        guard entry.first?.isNumber == true,
              let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return false }
        return String(decoding: data, as: UTF8.self) == wanted
    }
}

/// Zombie children of this process named `name` (from /proc/<pid>/stat).
func zombieChildren(named name: String) -> [String] {
    let me = getpid()
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.filter { entry in
        guard entry.first?.isNumber == true,
              let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
              let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return false }
        let comm = stat[stat.index(after: open)..<close]
        let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
        return comm == name && fields.count > 1 && fields[0] == "Z" && Int32(fields[1]) == me
    }
}

/// `<tmp>/testbed-probe-tests-<pid>`; directories of earlier processes are removed on first use.
private let testDirectoryParent: String = {
    let temporary = NSTemporaryDirectory().hasSuffix("/") ? String(NSTemporaryDirectory().dropLast()) : NSTemporaryDirectory()
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []
    for entry in entries where entry.hasPrefix("testbed-probe-tests-") {
        if let pid = Int32(entry.dropFirst("testbed-probe-tests-".count)), kill(pid, 0) != 0 {
            try? FileManager.default.removeItem(atPath: temporary + "/" + entry)
        }
    }
    return temporary + "/testbed-probe-tests-\(getpid())"
}()
