import ArgumentParser
import Foundation
import Testbed

/// `testbed ls [--json]`: this user's detached environments.
struct LsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List this user's detached environments.")
    @Flag(help: "Print JSON.") var json = false

    /// One line of `ls --json`.
    struct Entry: Encodable {
        var name: String
        var manifest: String
        var pid: Int32
        var runDirectory: String
    }

    func run() throws {
        let runs = try DetachedCommands.all()
        if json {
            return DetachedCommands.printJSON(runs.map { Entry(name: $0.name, manifest: $0.manifest, pid: $0.pid, runDirectory: $0.runDirectory) })
        }
        if runs.isEmpty { return print("no detached environment is running") }
        for run in runs {
            print("\(run.name.padded(to: 16)) up \(DetachedCommands.age(since: run.startedAt).padded(to: 6)) pid \(run.pid)  \(run.manifest)")
        }
    }
}
