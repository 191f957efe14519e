import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem

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
    /// waits up to `limit` or ``hangGuard``, whichever is longer; a command still running then
    /// is killed and reported as status 137.
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
        let deadline = ContinuousClock.now + max(limit, hangGuard)
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
    try await runTool("/usr/sbin/useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name])
    guard let account = UnixUser.named(name) else { throw TestFailure("useradd made no account \(name)") }
    let user = LocalUser(account: account)
    let result: Result<T, any Error>
    do { result = .success(try await body(user)) } catch { result = .failure(error) }
    for pid in user.processes { kill(pid, SIGKILL) }
    _ = await eventually(within: .seconds(5)) { user.processes.isEmpty }
    try await runTool("/usr/sbin/userdel", [name])
    return try result.get()
}

/// Runs a system tool to completion (a few milliseconds: useradd, userdel), trying again
/// while another test holds the lock on /etc/passwd (tests run in parallel too). Waits
/// with Task.sleep: blocking a thread of the small concurrency pool stalls other tests.
private func runTool(_ path: String, _ arguments: [String]) async throws {
    var status: Int32 = 0
    for _ in 0..<50 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try withUnblockedSignals { try process.run() }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(5)) }
        status = process.terminationStatus
        if status == 0 { return }
        try? await Task.sleep(for: .milliseconds(100))
    }
    throw TestFailure("\(path) \(arguments.joined(separator: " ")) failed with status \(status)")
}
