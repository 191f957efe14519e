import ArgumentParser
import Foundation
import Testbed
import TestbedSystem
import TestbedModel

/// `up -d`: starts a supervisor (this binary, `up --supervise`) and returns once it
/// reports the stack healthy, printing the exports.
struct Detacher {
    let command: UpCommand

    func run() async throws {
        let manifest: Manifest
        do {
            manifest = try ManifestLoader.load(path: command.manifest)
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(ExitCodes.environmentFailed)
        }
        let name = command.name ?? manifest.name
        let root = RunDirectory.root(environment: ProcessInfo.processInfo.environment)
        let running: [DetachedRun]
        do {
            try DetachedRun.validateName(name)
            running = try DetachedRun.all(root: root)
        } catch {
            throw DetachedCommands.fail(code: ExitCodes.environmentFailed, "\(error)")
        }
        if let running = running.first(where: { $0.name == name }) {
            throw DetachedCommands.fail(code: ExitCodes.environmentFailed, "an environment named '\(name)' is already running (from \(running.manifest), supervisor pid \(running.pid))\n"
                + "    hint: stop it with 'testbed down \(name)', or start another copy with 'testbed up -d \(command.manifest) --name \(name)-2'")
        }
        var arguments = ["up", "--supervise", "--name", name, command.manifest]
        if let ttl = command.ttl { arguments += ["--ttl", ttl] }
        if command.output.quiet { arguments.append("--quiet") }
        if command.output.json { arguments.append("--json") }
        if command.output.keep { arguments.append("--keep") }
        if let report = command.output.report { arguments += ["--report", report] }
        if let tapes = command.tapeOptions.tapes { arguments += ["--tapes", tapes.rawValue] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardInput = nil
        try withUnblockedSignals { try process.run() }
        let line = Self.readLine(pipe.fileHandleForReading)
        guard let report = try? JSONDecoder().decode(SupervisorReport.self, from: Data(line.utf8)), report.ready else {
            // A failed start: the supervisor printed why on stderr (our terminal) and exits.
            // A supervisor that died without a report says nothing itself: say it here.
            if line.isEmpty { await Self.reportDeath(of: process, name: name, manifest: command.manifest) }
            throw ExitCode(ExitCodes.environmentFailed)
        }
        let exports = report.exports ?? [:]
        let text = exports.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n") + "\n"
        FileHandle.standardOutput.write(Data(text.utf8))
        if !command.output.quiet && !command.output.json {
            FileHandle.standardError.write(Data("'\(name)' is up, detached (supervisor pid \(process.processIdentifier)); stop it with: testbed down \(name)\n".utf8))
        }
    }

    /// Waits (up to 10 s) for the supervisor to end and says how it ended, and where its output is.
    static func reportDeath(of process: Process, name: String, manifest: String) async {
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        let pid = process.processIdentifier
        guard !process.isRunning else {
            FileHandle.standardError.write(Data("error: the supervisor of '\(name)' (pid \(pid)) closed its report without a word; it still runs\n".utf8))
            return
        }
        let status: ExitStatus = process.terminationReason == .uncaughtSignal
            ? .signaled(process.terminationStatus) : .exited(process.terminationStatus)
        var text = "error: the supervisor of '\(name)' (pid \(pid)) ended before the environment was ready: \(status)"
        text += "\n    its output up to then is above (a supervisor writes to this terminal until the stack is ready);"
        text += "\n    its watchdog stopped what it had started and removed the run directory with the services' logs"
        text += "\n    hint: 'testbed up \(manifest)' (without -d) runs the start in the foreground"
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func readLine(_ handle: FileHandle) -> String {
        var data = Data()
        while true {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty || byte.first == 10 { break }
            data.append(byte)
        }
        return String(decoding: data, as: UTF8.self)
    }
}
