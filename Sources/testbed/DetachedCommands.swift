import ArgumentParser
import Foundation
import Testbed

/// What the commands for detached environments share: the run root, finding an
/// environment, asking its supervisor, and printing.
enum DetachedCommands {
    static var root: String { RunDirectory.root(environment: ProcessInfo.processInfo.environment) }
    /// Every root a run of this user may be in: the memory one and, unless TESTBED_RUN_ROOT
    /// is set, the disk one runs fall back to when memory has no room.
    static var roots: [String] { RunDirectory.roots(environment: ProcessInfo.processInfo.environment) }

    /// Prints `message` as an error and returns the exit code to throw.
    static func fail(code: Int32 = 1, _ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        return ExitCode(code)
    }

    /// The running environment called `name` (or the only one); prints why not and fails.
    static func find(_ name: String?) throws -> DetachedRun {
        do {
            return try DetachedRun.find(name, roots: roots)
        } catch {
            throw fail("\(error)")
        }
    }

    /// The detached environments running under the roots; prints why they cannot be listed and fails.
    static func all() throws -> [DetachedRun] {
        do {
            return try DetachedRun.all(roots: roots)
        } catch {
            throw fail("\(error)")
        }
    }

    /// Sends a request to a detached environment's supervisor; fails when it answers `ok: false`.
    static func ask(_ run: DetachedRun, _ request: ControlRequest) throws -> ControlResponse {
        let answer: ControlResponse
        do {
            answer = try ControlSocket.send(request, to: run.controlSocket)
        } catch {
            throw fail("\(error)")
        }
        guard answer.ok else { throw fail(answer.error ?? "the supervisor refused '\(request.summary)'") }
        return answer
    }

    /// Prints `value` as sorted, pretty JSON.
    static func printJSON<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(value) { print(String(decoding: data, as: UTF8.self)) }
    }

    /// Seconds until `seconds` since 1970, as the age format prints them.
    static func remaining(until seconds: Double) -> String {
        age(since: 2 * Date().timeIntervalSince1970 - seconds)
    }

    static func age(since seconds: Double) -> String {
        let elapsed = Int(Date().timeIntervalSince1970 - seconds)
        if elapsed < 120 { return "\(elapsed)s" }
        if elapsed < 7200 { return "\(elapsed / 60)m" }
        return "\(elapsed / 3600)h\((elapsed % 3600) / 60)m"
    }
}

/// The optional environment name most detached commands take.
struct NameArgument: ParsableArguments {
    @Argument(help: "The environment's name (optional when only one is running).")
    var name: String?
}

extension String {
    /// Pads with spaces to `width`; never cuts a longer string.
    func padded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
