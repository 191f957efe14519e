import Foundation
import Testing
@testable import Testbed

/// A library user has no `testbed gc`: `Environment.start()` prunes kept directories of dead
/// runs beyond ``Collector/keptRunsLimit``, and ``Environment/collectGarbage(root:includingKept:)``
/// does what `gc` does.
@Suite struct KeptRunPruningTests {
    /// A process that has exited: the owner of a dead run.
    static func deadPID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    /// `count` kept run directories of a dead owner under `root`, oldest first.
    static func keptDeadRuns(_ count: Int, root: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: (root as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try RunDirectory.prepareRoot(root)
        let pid = try deadPID()
        var paths: [String] = []
        for index in 0..<count {
            let run = try RunDirectory.create(root: root, name: "broken")
            RunState(pid: pid, name: "broken", manifest: "/nowhere/broken.yml").write(to: run)
            run.markKept()
            // Marked kept one minute apart, the first the oldest.
            var times = [timespec(tv_sec: time(nil) - 3600 + index * 60, tv_nsec: 0)]
            times.append(times[0])
            utimensat(AT_FDCWD, run.path + "/kept", times, 0)
            paths.append(run.path)
        }
        return paths
    }

    @Test func aStartKeepsOnlyTheNewestKeptRunsOfDeadRuns() async throws {
        let folder = "/dev/shm/tbprune-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let kept = try Self.keptDeadRuns(Collector.keptRunsLimit + 3, root: folder + "/runs")

        let environment = try Environment(yaml: """
            name: prune
            services:
              job:
                command: "true"
                oneshot: true
            """, directory: folder, options: Environment.Options(runRoot: folder + "/runs"))
        try await environment.start()
        await environment.stop()

        let left = kept.filter { FileManager.default.fileExists(atPath: $0) }
        #expect(left == Array(kept.suffix(Collector.keptRunsLimit)))
    }

    @Test func collectGarbageRemovesKeptRunsOfDeadRunsToo() throws {
        let folder = "/dev/shm/tbprune-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let kept = try Self.keptDeadRuns(2, root: folder + "/runs")
        let live = try RunDirectory.create(root: folder + "/runs", name: "live")
        RunState(pid: getpid(), name: "live", manifest: "/here/live.yml").write(to: live)
        live.markKept()

        let spared = try Environment.collectGarbage(root: folder + "/runs", includingKept: false)
        #expect(spared.removedRuns.isEmpty && Set(spared.keptRuns) == Set(kept))
        let report = try Environment.collectGarbage(root: folder + "/runs")
        #expect(Set(report.removedRuns) == Set(kept))
        #expect(kept.allSatisfy { !FileManager.default.fileExists(atPath: $0) })
        #expect(FileManager.default.fileExists(atPath: live.path))
    }
}
