import ArgumentParser
import Foundation
import Testbed

/// What the commands for detached environments share.
enum DetachedCommands {
    static var root: String { RunDirectory.root(environment: ProcessInfo.processInfo.environment) }

    /// Prints `message` as an error and returns the exit code to throw.
    static func fail(code: Int32 = 1, _ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        return ExitCode(code)
    }

    static func find(_ name: String?) throws -> DetachedRun {
        do {
            return try DetachedRun.find(name, root: root)
        } catch {
            throw fail("\(error)")
        }
    }

    /// Sends a request to a detached environment's supervisor; fails when it answers `ok: false`.
    static func ask(_ run: DetachedRun, _ request: String) throws -> [String: Any] {
        let answer: [String: Any]
        do {
            answer = try ControlSocket.send(request, to: run.controlSocket)
        } catch {
            throw fail("\(error)")
        }
        if answer["ok"] as? Bool != true {
            throw fail((answer["error"] as? String) ?? "the supervisor refused '\(request)'")
        }
        return answer
    }

    static func printJSON(_ object: Any) {
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) {
            print(String(decoding: data, as: UTF8.self))
        }
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

struct NameArgument: ParsableArguments {
    @Argument(help: "The environment's name (optional when only one is running).")
    var name: String?
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show a detached environment's services: state, pid, ports.")
    @OptionGroup var target: NameArgument
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let run = try DetachedCommands.find(target.name)
        let answer = try DetachedCommands.ask(run, "status")
        if json { return DetachedCommands.printJSON(answer) }
        var lines = ["\(run.name) — \(run.manifest), up \(DetachedCommands.age(since: run.startedAt)), supervisor pid \(run.pid)"]
        if let expires = run.expiresAt { lines[0] += ", lease ends in \(DetachedCommands.remaining(until: expires))" }
        for service in (answer["services"] as? [[String: Any]]) ?? [] {
            let values = (service["values"] as? [String: String]) ?? [:]
            let ports = values.filter { $0.key.hasPrefix("ports.") || $0.key == "port" }.sorted { $0.key < $1.key }
                .map { "\($0.key.replacingOccurrences(of: "ports.", with: ""))=\($0.value)" }.joined(separator: " ")
            let pid = (service["pid"] as? Int).map(String.init) ?? "-"
            let name = (service["name"] as? String ?? "").padded(to: 12)
            let kind = (service["kind"] as? String ?? "").padded(to: 9)
            let state = (service["state"] as? String ?? "").padded(to: 10)
            lines.append("  \(name) \(kind) \(state) pid \(pid.padded(to: 7)) \(ports)")
        }
        print(lines.joined(separator: "\n"))
    }
}

struct EnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "env", abstract: "Print a detached environment's exports.")
    enum Format: String, ExpressibleByArgument, CaseIterable { case dotenv, shell, json }
    @OptionGroup var target: NameArgument
    @Option(help: "dotenv (NAME=value), shell (export NAME='value') or json.") var format: Format = .dotenv

    func run() throws {
        let run = try DetachedCommands.find(target.name)
        let exports = (try DetachedCommands.ask(run, "env")["exports"] as? [String: String]) ?? [:]
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
        _ = try DetachedCommands.ask(run, "reset \(words.last!)")
        print("\(words.last!) reset in \(Int((clock.now - began).milliseconds.rounded())) ms")
    }
}

struct DownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "down", abstract: "Tear a detached environment down and wait until it is gone (exit 0 when it already is).")
    @OptionGroup var target: NameArgument

    func run() throws {
        let running = DetachedRun.all(root: DetachedCommands.root)
        guard let run = running.first(where: { target.name == nil || $0.name == target.name }) else {
            print(target.name.map { "'\($0)' is not running" } ?? "no detached environment is running")
            return
        }
        if target.name == nil && running.count > 1 {
            throw DetachedCommands.fail("several environments are running (\(running.map(\.name).joined(separator: ", "))); name one")
        }
        // The supervisor acknowledges at once and tears down; a supervisor that does not
        // answer (stopped, wedged) gets SIGTERM, then SIGKILL, and its watchdog cleans up.
        if (try? ControlSocket.send("down", to: run.controlSocket, timeout: .seconds(5))) == nil {
            kill(run.pid, SIGTERM)
            kill(run.pid, SIGCONT)
        }
        var deadline = ContinuousClock.now + .seconds(60)
        while run.isAlive && ContinuousClock.now < deadline { usleep(20_000) }
        if run.isAlive {
            kill(run.pid, SIGKILL)
            deadline = ContinuousClock.now + .seconds(5)
            while run.isAlive && ContinuousClock.now < deadline { usleep(20_000) }
        }
        // A killed supervisor's watchdog needs a moment to stop the services.
        let watchdogList = DetachedCommands.root + "/.owners/\(run.pid)"
        deadline = ContinuousClock.now + .seconds(3)
        while FileManager.default.fileExists(atPath: watchdogList) && ContinuousClock.now < deadline { usleep(20_000) }
        _ = Collector(root: DetachedCommands.root).collect(includingKept: false)
        print("\(run.name) is down")
    }
}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List this user's detached environments.")
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let runs = DetachedRun.all(root: DetachedCommands.root)
        if json {
            return DetachedCommands.printJSON(runs.map { ["name": $0.name, "manifest": $0.manifest, "pid": Int($0.pid), "runDirectory": $0.runDirectory] as [String: Any] })
        }
        if runs.isEmpty { return print("no detached environment is running") }
        for run in runs {
            print("\(run.name.padded(to: 16)) up \(DetachedCommands.age(since: run.startedAt).padded(to: 6)) pid \(run.pid)  \(run.manifest)")
        }
    }
}

struct GcCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gc", abstract: "Remove what dead runs left behind (run directories, stale watchdog lists, orphaned shared memory); never touches a live run.")

    func run() throws {
        let report = Collector(root: DetachedCommands.root).collect(includingKept: true)
        for path in report.removedRuns { print("removed \(path)") }
        for pgid in report.stoppedGroups { print("stopped process group \(pgid)") }
        for id in report.removedSegments { print("removed shared memory segment \(id)") }
        if report.removedRuns.isEmpty && report.stoppedGroups.isEmpty && report.removedSegments.isEmpty { print("nothing to remove") }
    }
}

extension String {
    /// Pads with spaces to `width`; never cuts a longer string.
    func padded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
