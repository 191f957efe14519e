import ArgumentParser
import Foundation
import Testbed

/// `testbed gc`: what dead runs left behind, never a live run.
struct GcCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gc", abstract: "Remove what dead runs left behind (run directories, stale watchdog lists, orphaned shared memory); never touches a live run.")

    func run() throws {
        var reports: [Collector.Report] = []
        do {
            // Runs that fell back to disk live under the disk root.
            for root in DetachedCommands.roots { reports.append(try Collector(root: root).collect(includingKept: true)) }
        } catch {
            throw DetachedCommands.fail("\(error)")
        }
        var report = reports[0]
        for other in reports.dropFirst() {
            report.removedRuns += other.removedRuns
            report.stoppedGroups += other.stoppedGroups
            report.removedSegments += other.removedSegments
        }
        for path in report.removedRuns { print("removed \(path)") }
        for pgid in report.stoppedGroups { print("stopped process group \(pgid)") }
        for id in report.removedSegments { print("removed shared memory segment \(id)") }
        if report.removedRuns.isEmpty && report.stoppedGroups.isEmpty && report.removedSegments.isEmpty { print("nothing to remove") }
    }
}
