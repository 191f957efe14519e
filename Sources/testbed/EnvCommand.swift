import ArgumentParser
import Foundation
import Testbed

/// `testbed env [NAME] [--format …]`: a detached environment's exports.
struct EnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "env", abstract: "Print a detached environment's exports.")
    enum Format: String, ExpressibleByArgument, CaseIterable { case dotenv, shell, json }
    @OptionGroup var target: NameArgument
    @Option(help: "dotenv (NAME=value), shell (export NAME='value') or json.") var format: Format = .dotenv

    func run() throws {
        let run = try DetachedCommands.find(target.name)
        let exports = try DetachedCommands.ask(run, ControlRequest(.env)).exports ?? [:]
        switch format {
        case .json: DetachedCommands.printJSON(exports)
        case .dotenv: for (key, value) in exports.sorted(by: { $0.key < $1.key }) { print("\(key)=\(value)") }
        case .shell:
            for (key, value) in exports.sorted(by: { $0.key < $1.key }) {
                print("export \(key)='\(value.replacingOccurrences(of: "'", with: "'\\''"))'")
            }
        }
    }
}
