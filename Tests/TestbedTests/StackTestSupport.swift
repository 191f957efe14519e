import Foundation
import Synchronization
import Testing
@testable import Testbed
@testable import TestbedModel

/// A manifest written to a temporary folder, started with a private run root, and a
/// unique mark in every service's environment so the run's processes can be found in /proc.
struct TestStack {
    let folder: String
    let path: String
    let mark: String
    let events = EventLog()

    init(_ yaml: String, files: [String: String] = [:]) throws {
        folder = try makeTemporaryDirectory()
        mark = "TESTBED_TEST_MARK=\(UUID().uuidString)"
        path = folder + "/stack.yml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        for (name, contents) in files {
            try contents.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
        }
    }

    /// Short, and reachable by the `postgres` user: a Unix socket path must stay under 108 bytes.
    var runRoot: String { "/dev/shm/tbt-" + mark.suffix(12) }

    /// The stack's environment; `overriding` replaces the caller's variables of those names.
    /// - Parameter progress: when `progress` events come (short in tests that look at them).
    func environment(keep: Bool = false, overriding: [String: String] = [:],
                     progress: Environment.ProgressTiming? = nil) throws -> Environment {
        var variables = ProcessInfo.processInfo.environment.merging(overriding) { $1 }
        let parts = mark.split(separator: "=", maxSplits: 1).map(String.init)
        variables[parts[0]] = parts[1]
        let log = events
        var options = Environment.Options(environment: variables, runRoot: runRoot, cacheRoot: folder + "/cache",
                                          keepRunDirectory: keep, onEvent: { log.append($0) })
        if let progress { options.progressTiming = progress }
        return try Environment(path: path, options: options)
    }

    /// Live (non-zombie) processes whose environment carries this stack's mark.
    var liveProcesses: [Int32] { processesWithEnvironmentEntry(mark) }

    /// The run's events so far, one a line with its time: for failure messages.
    var timeline: String {
        events.all.map { "\($0.elapsed) \($0.service ?? "-") \($0.phase) \($0.detail ?? "")" }.joined(separator: "\n")
    }

    /// Run directories left under this stack's run root.
    var leftoverRuns: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: runRoot)) ?? []).filter { !$0.hasPrefix(".") }
    }

    /// Deletes the manifest's folder and the run root. A killed run's watchdog may still be
    /// deleting its run directory: a removal racing with it fails halfway and left the run
    /// root behind (empty, once the watchdog was done), so it is tried until the run root is
    /// gone, for 5 s at most.
    func cleanUp() {
        try? FileManager.default.removeItem(atPath: folder)
        for _ in 0..<50 {
            try? FileManager.default.removeItem(atPath: runRoot)
            if access(runRoot, F_OK) != 0 { return }
            usleep(100_000)
        }
    }
}

final class EventLog: Sendable {
    private let events = Mutex<[Event]>([])
    func append(_ event: Event) { events.withLock { $0.append(event) } }
    var all: [Event] { events.withLock { $0 } }
    func clear() { events.withLock { $0 = [] } }

    /// When `service` first reached `phase`.
    func time(_ service: String, _ phase: Event.Phase) -> Duration? {
        all.first { $0.service == service && $0.phase == phase }?.elapsed
    }
}

/// Live processes with `entry` (NAME=value) in their environment, from /proc.
func processesWithEnvironmentEntry(_ entry: String) -> [Int32] {
    let needle = Data((entry + "\0").utf8)
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { name -> Int32? in
        guard let pid = Int32(name), pid != getpid(),
              let environ = FileManager.default.contents(atPath: "/proc/\(name)/environ"),
              environ.range(of: needle) != nil,
              let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")"),
              stat[stat.index(close, offsetBy: 2)] != "Z" else { return nil }
        return pid
    }
}

/// The least time a test waits for something that must happen before it calls it a hang.
///
/// Plain `swift test` runs every test at once: on a 2-core machine that is also building,
/// a step that takes 100 ms alone (spawning a process, the first hop onto an actor) was
/// seen to take over a minute (load average 30 and more). The waits in these tests are hang
/// guards, never timing assertions, so none gives up sooner than this; a passing test does
/// not wait any longer for it.
let hangGuard: Duration = .seconds(180)

/// Waits for `condition`, up to `limit` or ``hangGuard``, whichever is longer, polling:
/// every 20 ms at first, less often the longer it takes (up to every 250 ms), since
/// conditions that scan /proc cost CPU that the tests running alongside need. Looks once
/// more after the deadline.
func eventually(within limit: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + max(limit, hangGuard)
    var pause = Duration.milliseconds(20)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: pause)
        pause = min(pause * 1.5, .milliseconds(250))
    }
    return condition()
}

extension TestStack {
    /// Starts the stack, expecting the start to fail: returns the error (its kept run
    /// directory removed), or records an issue when the start succeeded.
    func startFailure(progress: Environment.ProgressTiming? = nil) async throws -> EnvironmentError {
        let environment = try self.environment(progress: progress)
        do {
            try await environment.start()
        } catch let error as EnvironmentError {
            if let kept = error.runDirectory { try? FileManager.default.removeItem(atPath: kept) }
            return error
        }
        await environment.stop()
        Issue.record("the start did not fail")
        return EnvironmentError(.interrupted, "no failure")
    }
}
