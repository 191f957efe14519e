import ArgumentParser
import Foundation
import Testbed

/// `testbed down [NAME]`: tears a detached environment down and waits until it is gone.
struct DownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "down", abstract: "Tear a detached environment down and wait until it is gone (exit 0 when it already is).")
    @OptionGroup var target: NameArgument

    func run() throws {
        if let name = target.name {
            do { try DetachedRun.validateName(name) } catch { throw DetachedCommands.fail("\(error)") }
        }
        let running = try DetachedCommands.all()
        guard let run = running.first(where: { target.name == nil || $0.name == target.name }) else {
            print(target.name.map { "'\($0)' is not running" } ?? "no detached environment is running")
            return
        }
        if target.name == nil && running.count > 1 {
            throw DetachedCommands.fail("several environments are running (\(running.map(\.name).joined(separator: ", "))); name one")
        }
        do {
            try run.tearDown(root: DetachedCommands.root)
        } catch {
            throw DetachedCommands.fail("\(error)")
        }
        print("\(run.name) is down")
        if RunDirectory(path: run.runDirectory).isKept {
            FileHandle.standardError.write(Data("run directory kept at \(run.runDirectory) (read them with: testbed logs --last [SERVICE])\n".utf8))
        }
    }
}
