import Foundation
import Testing
@testable import Testbed

/// A second, unprivileged local account, created for one test (useradd) and removed after
/// it (userdel): the "other user on the machine" of the security tests.
struct LocalUser: Sendable {
    /// The account.
    let account: UnixUser

    /// True when this process may create accounts (root, with useradd and userdel installed).
    /// Suites that need one are `.enabled(if: LocalUser.canCreate)`, so they show as skipped
    /// elsewhere instead of passing without having run.
    static var canCreate: Bool {
        UnixUser.isRoot && FileManager.default.isExecutableFile(atPath: "/usr/sbin/useradd")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/userdel")
    }

    /// Runs `arguments` as the account (through setpriv, with `/tmp` as working directory) and
    /// waits up to `limit`; a command still running then is killed and reported as status 137.
    func run(_ arguments: [String], environment: [String: String] = [:], limit: Duration = .seconds(60)) async throws -> CLI.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: account.commandPrefix[0])
        process.arguments = Array(account.commandPrefix.dropFirst()) + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: "/tmp")
        var variables = ProcessInfo.processInfo.environment
        variables["HOME"] = "/tmp"
        variables["NO_COLOR"] = "1"
        for (key, value) in environment { variables[key] = value }
        process.environment = variables
        let out = NSTemporaryDirectory() + "tbt-user-\(UUID().uuidString).out"
        let err = out + ".err"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        defer { unlink(out); unlink(err) }
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        process.standardInput = nil
        try withUnblockedSignals { try process.run() }
        let deadline = ContinuousClock.now + limit
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        return CLI.Result(status: process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus,
                          stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                          stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    /// Runs a shell script as the account.
    func shell(_ script: String, environment: [String: String] = [:], limit: Duration = .seconds(60)) async throws -> CLI.Result {
        try await run(["/bin/sh", "-c", script], environment: environment, limit: limit)
    }

    /// The live processes of the account, from /proc.
    var processes: [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = Int32(entry), let status = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }),
                  line.split(separator: "\t").dropFirst().first == Substring(String(account.uid)) else { return nil }
            return pid
        }
    }
}

/// Creates an unprivileged account named `prefix` plus a random suffix, runs `body` with it,
/// then ends the account's processes (each by its pid) and deletes it, whatever `body` did.
func withLocalUser<T>(prefix: String, _ body: (LocalUser) async throws -> T) async throws -> T {
    let name = String((prefix + "-" + UUID().uuidString.prefix(8).lowercased()).prefix(31))
    try runTool("/usr/sbin/useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name])
    guard let account = UnixUser.named(name) else { throw TestFailure("useradd made no account \(name)") }
    let user = LocalUser(account: account)
    defer {
        for pid in user.processes { kill(pid, SIGKILL) }
        let deadline = ContinuousClock.now + .seconds(5)
        while !user.processes.isEmpty && ContinuousClock.now < deadline { usleep(20_000) }
        try? runTool("/usr/sbin/userdel", [name])
    }
    return try await body(user)
}

/// Runs a system tool to completion (a few milliseconds: useradd, userdel).
private func runTool(_ path: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try withUnblockedSignals { try process.run() }
    while process.isRunning { usleep(5_000) }  // not waitUntilExit: it spins a run loop
    guard process.terminationStatus == 0 else {
        throw TestFailure("\(path) \(arguments.joined(separator: " ")) failed with status \(process.terminationStatus)")
    }
}
