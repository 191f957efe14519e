import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem

/// The one reader of /proc, against real processes: alive, zombie, group, start time, arguments.
@Suite struct ProcessTableTests {
    @Test func readsThisProcess() throws {
        let me = try #require(ProcessTable.entry(getpid()))
        #expect(me.group == getpgrp())
        #expect(me.parent == getppid())
        #expect(me.isLive)
        #expect(ProcessTable.isAlive(getpid()))
        #expect(ProcessTable.startTime(pid: getpid()) == me.startTime)
        #expect(ProcessTable.commandLine(getpid())?.first == CommandLine.arguments.first)
        #expect(ProcessTable.all().contains { $0.pid == getpid() })
    }

    @Test func aCommandNameWithSpacesAndParenthesesIsParsed() throws {
        let line = "4242 (a) b (c)) S 1 4240 4240 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10"
        let entry = try #require(ProcessTable.parse(line, pid: 4242))
        #expect(entry.state == "S")
        #expect(entry.parent == 1)
        #expect(entry.group == 4240)
        #expect(entry.startTime == 987654)
    }

    @Test func aZombieCountsAsGoneAndAReapedProcessIsGone() async throws {
        // A child that exits and is not reaped yet (WNOWAIT keeps it a zombie) is not alive.
        let process = try ServiceProcess(.init(executable: "/bin/sh", arguments: ["-c", "exit 0"],
                                               environment: ProcessInfo.processInfo.environment,
                                               logFile: "/dev/null"))
        let pid = process.pid
        let start = ProcessTable.startTime(pid: pid)
        _ = await process.waitForExit()
        #expect(!ProcessTable.isAlive(pid))
        #expect(!ProcessTable.groupHasLiveMembers(pid))
        #expect(await eventually { ProcessTable.entry(pid) == nil || ProcessTable.startTime(pid: pid) != start })
        #expect(!ProcessTable.isAlive(999_999_999))
    }

    @Test func listsTheMembersOfAGroup() async throws {
        let process = try ServiceProcess(.init(executable: "/bin/sh", arguments: ["-c", "sleep 600 & sleep 600 & wait"],
                                               environment: ProcessInfo.processInfo.environment,
                                               logFile: "/dev/null"))
        #expect(await eventually { ProcessTable.members(ofGroup: process.pid).filter(\.isLive).count == 3 })
        #expect(ProcessTable.groupHasLiveMembers(process.pid))
        await process.stop([.signal(SIGTERM, grace: .seconds(5)), .kill])
        #expect(!ProcessTable.groupHasLiveMembers(process.pid))
    }
}
