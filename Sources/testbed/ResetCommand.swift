import ArgumentParser
import Foundation
import Testbed

/// `testbed reset [NAME] SERVICE`: a database of a detached environment back to its seed.
struct ResetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reset", abstract: "Put a database service of a detached environment back to its seeded state.")
    @Argument(help: "[NAME] SERVICE: the environment (optional when only one runs) and the database service.")
    var words: [String]

    func validate() throws {
        guard (1...2).contains(words.count) else { throw ValidationError("give the service to reset, e.g. testbed reset db") }
    }

    func run() throws {
        let run = try DetachedCommands.find(words.count == 2 ? words[0] : nil)
        let clock = ContinuousClock(), began = clock.now
        let response = try DetachedCommands.ask(run, ControlRequest(.reset, service: words.last!))
        let how = response.detail.map { " (\($0))" } ?? ""
        print("\(words.last!) reset in \(Int((clock.now - began).milliseconds.rounded())) ms\(how)")
    }
}
