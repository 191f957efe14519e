import ArgumentParser
import Foundation
import Testbed
import TestbedSystem

struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print the output of a detached environment's services, or of a finished run's kept logs.",
        discussion: "With --last or --run, reads the logs a run left behind: those saved when its test command "
            + "failed (RUN_ROOT/.logs/), or a run directory kept by --keep or a failed start.")
    @Argument(help: "[NAME] [SERVICE]: the environment (optional when only one runs) and a service (default: all); with --last or --run, only [SERVICE].")
    var words: [String] = []
    @Flag(name: .shortAndLong, help: "Keep printing new output until the environment stops or Ctrl-C.") var follow = false
    @Option(help: "Print only the last N lines of each log.") var tail: Int?
    @Flag(help: "Read the most recent finished run whose logs were kept.") var last = false
    @Option(name: .customLong("run"), help: ArgumentHelp("Read the logs kept in this folder (a kept run directory or a folder of RUN_ROOT/.logs).", valueName: "path"))
    var runFolder: String?

    func validate() throws {
        if last && runFolder != nil { throw ValidationError("give either --last or --run, not both") }
        if (last || runFolder != nil) && follow { throw ValidationError("--follow reads a running environment; a finished run's logs do not grow") }
        if (last || runFolder != nil) && words.count > 1 { throw ValidationError("with --last or --run, give at most a service") }
        if words.count > 2 { throw ValidationError("give at most an environment name and a service") }
    }

    func run() throws {
        if last || runFolder != nil { return try printFinished(service: words.first) }
        var name: String? = nil, service: String? = nil
        let running = try DetachedCommands.all()
        if words.count == 2 { (name, service) = (words[0], words[1]) }
        else if words.count == 1 {
            if running.contains(where: { $0.name == words[0] }) { name = words[0] } else { service = words[0] }
        }
        let detached = try DetachedCommands.find(name)
        let chosen = try choose(RunLogs(folder: detached.runDirectory), service: service)
        var offsets = printAll(chosen)
        guard follow else { return }
        fflush(nil)
        var partial: [String: String] = [:]
        while detached.isAlive {
            for log in chosen {
                guard let data = RunLogs.read(log.path, from: offsets[log.path] ?? 0), !data.isEmpty else { continue }
                offsets[log.path, default: 0] += UInt64(data.count)
                // Only whole lines; a line still being written waits for its end.
                var text = partial[log.path, default: ""] + String(decoding: data, as: UTF8.self)
                let complete = text.hasSuffix("\n")
                var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                text = complete ? "" : lines.removeLast()
                if complete, lines.last == "" { lines.removeLast() }
                partial[log.path] = text
                for line in lines { print(chosen.count > 1 ? "\(log.name) | \(line)" : line) }
                fflush(nil)
            }
            usleep(100_000)
        }
    }

    /// `--last` / `--run PATH`: a finished run's logs, from a folder of this account only.
    private func printFinished(service: String?) throws {
        let folder: String
        if let runFolder {
            folder = runFolder.hasPrefix("/") ? runFolder : FileManager.default.currentDirectoryPath + "/" + runFolder
            do { try PrivateDirectory.verify(folder, what: "the logs folder") } catch { throw DetachedCommands.fail("\(error)") }
        } else {
            let root = DetachedCommands.root
            do { try PrivateDirectory.verify(root, what: "the run root") } catch {
                throw DetachedCommands.fail("no kept logs under \(root): \(error)")
            }
            // A run that fell back to disk keeps its logs under the disk root: the newest of both.
            let disk = DetachedCommands.roots.dropFirst().filter { (try? PrivateDirectory.verify($0, what: "the run root")) != nil }
            guard let latest = KeptLogs.latest(runRoots: [root] + disk) else {
                throw DetachedCommands.fail("no kept logs under \(root): a run keeps them when its test command fails, "
                    + "when a service fails to start, or with --keep")
            }
            folder = latest
        }
        FileHandle.standardError.write(Data("logs of \(folder)\n".utf8))
        _ = printAll(try choose(RunLogs(folder: folder), service: service))
    }

    /// The logs of `service` (all when nil); fails naming the logs there are.
    private func choose(_ logs: RunLogs, service: String?) throws -> [RunLogs.Log] {
        let chosen = logs.logs(for: service)
        if chosen.isEmpty {
            let names = logs.all.map(\.name).joined(separator: ", ")
            throw DetachedCommands.fail(service.map { "no log for service '\($0)' (logs: \(names))" } ?? "no logs in \(logs.folder)")
        }
        return chosen
    }

    /// Prints each log (prefixed `name |` when there are several); returns the bytes read of each.
    private func printAll(_ chosen: [RunLogs.Log]) -> [String: UInt64] {
        var offsets: [String: UInt64] = [:]
        for log in chosen {
            let data = RunLogs.read(log.path) ?? Data()
            var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            if let tail { lines = Array(lines.suffix(tail)) }
            for line in lines { print(chosen.count > 1 ? "\(log.name) | \(line)" : line) }
            offsets[log.path] = UInt64(data.count)
        }
        return offsets
    }
}
