import ArgumentParser
import Foundation
import Testbed

struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print the output of a detached environment's services.")
    @Argument(help: "[NAME] [SERVICE]: the environment (optional when only one runs) and a service (default: all).")
    var words: [String] = []
    @Flag(name: .shortAndLong, help: "Keep printing new output until the environment stops or Ctrl-C.") var follow = false
    @Option(help: "Print only the last N lines of each log.") var tail: Int?

    func run() throws {
        var name: String? = nil, service: String? = nil
        let running = try DetachedCommands.all()
        if words.count > 2 { throw ValidationError("give at most an environment name and a service") }
        if words.count == 2 { (name, service) = (words[0], words[1]) }
        else if words.count == 1 {
            if running.contains(where: { $0.name == words[0] }) { name = words[0] } else { service = words[0] }
        }
        let run = try DetachedCommands.find(name)
        let folder = run.runDirectory + "/logs"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".log") }.sorted()
        let chosen = service.map { [$0 + ".log"] } ?? files
        if let service, !files.contains(service + ".log") {
            throw DetachedCommands.fail("no log for service '\(service)' (logs: \(files.map { String($0.dropLast(4)) }.joined(separator: ", ")))")
        }
        var offsets: [String: UInt64] = [:]
        let prefix = chosen.count > 1
        for file in chosen {
            let path = folder + "/" + file
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            if let tail { lines = Array(lines.suffix(tail)) }
            for line in lines { print(prefix ? "\(file.dropLast(4)) | \(line)" : line) }
            offsets[path] = UInt64(text.utf8.count)
        }
        guard follow else { return }
        fflush(nil)
        var partial: [String: String] = [:]
        while run.isAlive {
            for file in chosen {
                let path = folder + "/" + file
                guard let handle = FileHandle(forReadingAtPath: path) else { continue }
                try? handle.seek(toOffset: offsets[path] ?? 0)
                let data = handle.readDataToEndOfFile()
                try? handle.close()
                guard !data.isEmpty else { continue }
                offsets[path, default: 0] += UInt64(data.count)
                // Only whole lines; a line still being written waits for its end.
                var text = partial[path, default: ""] + String(decoding: data, as: UTF8.self)
                let complete = text.hasSuffix("\n")
                var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                text = complete ? "" : lines.removeLast()
                if complete, lines.last == "" { lines.removeLast() }
                partial[path] = text
                for line in lines { print(prefix ? "\(file.dropLast(4)) | \(line)" : line) }
                fflush(nil)
            }
            usleep(100_000)
        }
    }
}
