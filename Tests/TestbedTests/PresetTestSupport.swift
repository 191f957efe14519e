import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem

/// The Debian package that installs each program the preset tests use.
let debianPackages = [
    "redis-server": "redis-server", "redis-cli": "redis-tools", "memcached": "memcached", "pgbouncer": "pgbouncer",
    "nginx": "nginx", "psql": "postgresql-client", "curl": "curl", "python3": "python3",
]

/// Enables a test only when every program in `programs` is installed; otherwise it is
/// skipped with a reason naming the missing ones and the `apt-get` line that installs them.
func needs(_ programs: String...) -> ConditionTrait {
    let missing = programs.filter { !isInstalled($0) }
    let packages = missing.map { debianPackages[$0] ?? $0 }
    guard !missing.isEmpty else { return .enabled(if: true) }
    return .enabled(if: false, Comment(rawValue: "\(missing.joined(separator: ", ")) \(missing.count == 1 ? "is" : "are") "
        + "not installed: apt-get install \(packages.joined(separator: " "))"))
}

/// True when `program` is on PATH or in a system folder (where a service's program is found).
func isInstalled(_ program: String) -> Bool {
    ServiceProcess.locate(program, path: ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") != nil
}

/// Runs `argv` (looked up on PATH) and returns its trimmed stdout; throws when it exits non-zero.
/// Waits on a thread of its own, off the concurrency pool that every test shares.
@discardableResult
func clientOutput(_ argv: [String]) async throws -> String {
    try await onThread { try clientOutputBlocking(argv) }
}

private func clientOutputBlocking(_ argv: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = argv
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    process.standardInput = nil
    try withUnblockedSignals { try process.run() }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ServiceProcessError(message: "\(argv.joined(separator: " ")) exited with \(process.terminationStatus)")
    }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Runs `argv` (looked up on PATH) and returns its exit status and its output, stdout and
/// stderr together, trimmed: for a client that is expected to be refused.
func clientResult(_ argv: [String]) async throws -> (status: Int32, output: String) {
    try await onThread {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = nil
        try withUnblockedSignals { try process.run() }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
