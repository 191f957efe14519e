import Foundation
@testable import Testbed
@testable import TestbedSystem

/// A second, unprivileged local user made for one test with `useradd` and removed with
/// `userdel` when the test is done: the attacker of the security tests.
final class LocalAttacker: Sendable {
    let user: UnixUser

    /// Creates the user `tbsec-RANDOM`; throws when that is not possible (needs root).
    init() throws {
        let name = "tbsec-\(UInt32.random(in: 0...UInt32.max) % 1_000_000)"
        let result = try Self.command("/usr/sbin/useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name])
        guard result.status == 0, let user = UnixUser.named(name) else {
            throw LocalAttackerError(message: "useradd \(name) failed: \(result.output)")
        }
        self.user = user
    }

    /// Removes the user.
    func remove() {
        _ = try? Self.command("/usr/sbin/userdel", [user.name])
    }

    /// Runs `argv` as the user (`setpriv`, no supplementary groups) with only `environment`;
    /// waits on a thread of its own, off the concurrency pool that every test shares.
    func run(_ argv: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        var clean = ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LC_ALL": "C"]
        clean.merge(environment) { _, new in new }
        let prefix = ["--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", "--"]
        return try await onThread { [clean] in
            try Self.command("/usr/bin/setpriv", prefix + argv, environment: clean)
        }
    }

    static func command(_ executable: String, _ arguments: [String],
                        environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = nil
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}

struct LocalAttackerError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A file only root can reach, whose contents must stay as they are.
struct Victim {
    let directory: String
    let file: String
    static let contents = "untouched\n"

    init() throws {
        directory = "/tmp/testbed-victim-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        file = directory + "/target"
        try Data(Self.contents.utf8).write(to: URL(fileURLWithPath: file))
    }

    var isUntouched: Bool { FileManager.default.contents(atPath: file) == Data(Self.contents.utf8) }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
