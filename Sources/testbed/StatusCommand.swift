import ArgumentParser
import Foundation
import Testbed

/// `testbed status [NAME] [--json]`: a detached environment's services.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show a detached environment's services: state, pid, ports.")
    @OptionGroup var target: NameArgument
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let run = try DetachedCommands.find(target.name)
        let answer = try DetachedCommands.ask(run, ControlRequest(.status))
        if json { return DetachedCommands.printJSON(answer) }
        var lines = ["\(run.name) — \(run.manifest), up \(DetachedCommands.age(since: run.startedAt)), supervisor pid \(run.pid)"]
        if let expires = run.expiresAt { lines[0] += ", lease ends in \(DetachedCommands.remaining(until: expires))" }
        for service in answer.services ?? [] {
            let ports = service.values.filter { $0.key.hasPrefix("ports.") || $0.key == "port" }.sorted { $0.key < $1.key }
                .map { "\($0.key.replacingOccurrences(of: "ports.", with: ""))=\($0.value)" }.joined(separator: " ")
            let pid = service.pid.map(String.init) ?? "-"
            lines.append("  \(service.name.padded(to: 12)) \(service.kind.padded(to: 9)) \(service.state.padded(to: 10)) pid \(pid.padded(to: 7)) \(ports)")
        }
        print(lines.joined(separator: "\n"))
    }
}
