import Foundation

/// A short program run to its end on the calling thread: a container engine's CLI, a
/// file-system tool (`mkfs.xfs`, `losetup`), a dead owner's cleanup command.
///
/// It blocks: call it from a ``BlockingWork`` thread, never from the concurrency pool or an
/// event loop. The child starts with no signal blocked (``withUnblockedSignals(_:)``) and
/// stdin on /dev/null.
package enum ShortCommand {
    /// Runs `argv` (its first element an absolute path) with `environment` (nil: this
    /// process's) and returns its exit status — 128 + the signal for one a signal ended,
    /// -1 when it cannot start — and the end of its output (stdout and stderr interleaved,
    /// at most 64 KiB).
    package static func run(_ argv: [String], environment: [String: String]? = nil) -> (status: Int32, output: String) {
        guard let program = argv.first else { return (-1, "no program to run") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = Array(argv.dropFirst())
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try withUnblockedSignals { try process.run() } } catch { return (-1, "cannot run \(program): \(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let status = process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
        return (status, String(decoding: data.suffix(65536), as: UTF8.self))
    }
}
