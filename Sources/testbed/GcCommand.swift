import ArgumentParser
import Foundation
import Testbed

/// `testbed gc`: what dead runs left behind, never a live run.
struct GcCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gc", abstract: "Remove what dead runs left behind (run directories, stale watchdog lists, orphaned shared memory); never touches a live run.")

    func run() throws {
        let report: Collector.Report
        do {
            // Both roots: runs that did not fit in memory live under the disk root.
            report = try Environment.collectGarbage(includingKept: true)
        } catch {
            throw DetachedCommands.fail("\(error)")
        }
        for path in report.removedRuns { print("removed \(path)") }
        for pgid in report.stoppedGroups { print("stopped process group \(pgid)") }
        for id in report.removedSegments { print("removed shared memory segment \(id)") }
        for uid in report.clearedUserIDs { print("cleared what was left of dynamic user id \(uid)") }
        for command in report.cleanupCommands { print("ran \(command)") }
        for folder in report.removedImages { print("unmounted and removed the reflink image in \(folder)") }
        if report.removedRuns.isEmpty && report.stoppedGroups.isEmpty && report.removedSegments.isEmpty
            && report.clearedUserIDs.isEmpty && report.cleanupCommands.isEmpty && report.removedImages.isEmpty {
            print("nothing to remove")
        }
    }
}
