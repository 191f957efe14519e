import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem

/// A second, unprivileged user attacks a root testbed through its run root: a symlink or a
/// directory planted where the run root will be, and `down` pointed at root's environments.
@Suite(.enabled(if: LocalUser.canCreate, "needs root and useradd to create a second user"))
struct RunRootSecurityTests {
    static let manifest = "services:\n  a:\n    command: \"echo up; exec sleep 600\"\n    healthcheck: {log: up}\n"

    @Test func aRunRootPlantedAsASymlinkIsRefusedAndItsTargetUntouched() async throws {
        let stack = try TestStack(Self.manifest)
        defer { stack.cleanUp() }
        let root = "/dev/shm/tbt-sec-\(UUID().uuidString.prefix(8))"
        let target = root + "-target"
        defer { unlink(root); try? FileManager.default.removeItem(atPath: target) }
        try await withLocalUser(prefix: "tbt-atk") { attacker in
            let planted = try await attacker.shell("mkdir -m 700 '\(target)' && ln -s '\(target)' '\(root)'")
            #expect(planted.status == 0, "\(planted.stderr)")
            let result = try await CLI.Running(["run", stack.path, "--", "true"], mark: stack.mark,
                                               extra: ["TESTBED_RUN_ROOT": root]).wait()
            #expect(result.status == 125)
            #expect(result.stderr.contains("refusing the run root \(root): it is a symbolic link"), "\(result.stderr)")
            var info = stat()
            #expect(lstat(target, &info) == 0 && info.st_mode & 0o7777 == 0o700 && info.st_uid == attacker.account.uid)
            #expect(try FileManager.default.contentsOfDirectory(atPath: target).isEmpty)
            #expect(await eventually { stack.liveProcesses.isEmpty })
        }
    }

    @Test func aRunRootMadeByAnotherUserIsRefusedAndItsListsAreNotActedOn() async throws {
        let stack = try TestStack(Self.manifest)
        defer { stack.cleanUp() }
        // What the attacker wants gone: a process group of root's and a folder of root's.
        let victim = try ServiceProcess(.init(executable: "sleep", arguments: ["600"], environment: inheritedEnvironment,
                                              logFile: try makeTemporaryDirectory() + "/victim.log"))
        defer { Task { await victim.stop([.kill]) } }
        let precious = try makeTemporaryDirectory()
        let identity = try #require(ProcessIdentity.of(victim.pid))
        let root = "/dev/shm/tbt-sec-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await withLocalUser(prefix: "tbt-atk") { attacker in
            // The forged list even carries the victim's real start time (/proc is readable by all).
            let planted = try await attacker.shell("""
                mkdir -m 777 '\(root)' && mkdir -m 777 '\(root)/.owners' &&
                printf 'group \(victim.pid) 9 \(identity.startTime)\\ndir \(precious)\\n' > '\(root)/.owners/999999'
                """)
            #expect(planted.status == 0, "\(planted.stderr)")
            let gc = try await CLI.Running(["gc"], mark: stack.mark, extra: ["TESTBED_RUN_ROOT": root]).wait()
            #expect(gc.status != 0)
            #expect(gc.stderr.contains("refusing the run root \(root): it is owned by uid \(attacker.account.uid)"), "\(gc.stderr)")
            let run = try await CLI.Running(["run", stack.path, "--", "true"], mark: stack.mark,
                                            extra: ["TESTBED_RUN_ROOT": root]).wait()
            #expect(run.status == 125)
            #expect(run.stderr.contains("refusing the run root \(root)"), "\(run.stderr)")
            #expect(identity.isRunning)
            #expect(FileManager.default.fileExists(atPath: precious))
        }
    }

    @Test func anotherUserCanNeitherReadARunNorPretendToStopIt() async throws {
        let stack = try TestStack(Self.manifest)
        defer { stack.cleanUp() }
        let env = ["TESTBED_RUN_ROOT": stack.runRoot]
        let name = "sec-\(UUID().uuidString.prefix(8))"
        let up = try await CLI.Running(["up", "-d", "--name", name, stack.path], mark: stack.mark, extra: env).wait()
        #expect(up.status == 0, "\(up.stderr)")
        let run = try DetachedRun.find(name, root: stack.runRoot)
        defer { _ = try? run.tearDown(root: stack.runRoot) }
        var info = stat()
        #expect(stat(stack.runRoot, &info) == 0 && info.st_mode & 0o077 == 0, "the run root is private")
        #expect(stat(run.runDirectory, &info) == 0 && info.st_mode & 0o077 == 0, "the run directory is private")
        try await withLocalUser(prefix: "tbt-atk") { attacker in
            let read = try await attacker.shell("cat '\(run.runDirectory)/logs/a.log' || ls '\(stack.runRoot)'")
            #expect(read.status != 0 && !read.stdout.contains("up"), "\(read.stdout)")
            let clock = ContinuousClock(), began = clock.now
            let down = try await attacker.run([CLI.binary, "down", name], environment: env, limit: .seconds(90))
            #expect(down.status != 0, "down as another user must fail: \(down.stdout)")
            #expect(!down.stdout.contains("is down"))
            #expect(down.stderr.contains(stack.runRoot), "\(down.stderr)")
            #expect(clock.now - began < .seconds(30), "it fails at once instead of waiting for the supervisor")
        }
        #expect(run.isAlive)
        let status = try await CLI.Running(["status", name], mark: stack.mark, extra: env).wait()
        #expect(status.status == 0 && status.stdout.contains("healthy"), "\(status.stderr)")
        let down = try await CLI.Running(["down", name], mark: stack.mark, extra: env).wait()
        #expect(down.status == 0 && down.stdout.contains("\(name) is down"), "\(down.stderr)")
        #expect(await eventually { stack.liveProcesses.isEmpty })
    }

    @Test func aPostgresServerReachesItsFolderThroughAPrivateRunRoot() async throws {
        let stack = try TestStack("services:\n  db:\n    postgres: {}\nexports:\n  URL: ${db.url}\n")
        defer { stack.cleanUp() }
        let result = try await CLI.Running(["run", stack.path, "--", "sh", "-c", "psql \"$URL\" -tAc 'SELECT 40 + 2'"],
                                           mark: stack.mark, extra: ["TESTBED_RUN_ROOT": stack.runRoot]).wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("42"))
        var info = stat()
        #expect(stat(stack.runRoot, &info) == 0 && info.st_mode & 0o066 == 0, "mode \(String(info.st_mode, radix: 8))")
        // The server account may pass through the run root (an ACL entry), never list it.
        let server = LocalUser(account: try #require(UnixUser.named("postgres")))
        let list = try await server.shell("ls '\(stack.runRoot)'")
        #expect(list.status != 0, "\(list.stdout)")
        #expect(try await server.shell("cd '\(stack.runRoot)'").status == 0)
    }
}

/// Names and pids read from a trusted run root are still checked before Testbed acts on them.
@Suite struct RunRootCheckTests {
    @Test func detachedNamesStayInsideTheRunRoot() async throws {
        for name in ["app", "app-2", "A.b_c", String(repeating: "x", count: 63)] { #expect(DetachedRun.isValidName(name), "\(name)") }
        for name in ["", ".hidden", "-x", "../../tmp/x", "a/b", "a b", String(repeating: "x", count: 64), "é"] {
            #expect(!DetachedRun.isValidName(name), "\(name)")
        }
        let stack = try TestStack("services:\n  a: {command: sleep 600}\n")
        defer { stack.cleanUp() }
        let env = ["TESTBED_RUN_ROOT": stack.runRoot]
        let escape = "tbt-escape-\(UUID().uuidString.prefix(8))"
        // The run root is /dev/shm/tbt-…: three levels up is /, so this names /tmp/tbt-escape-….
        for name in ["../../../tmp/\(escape)", ""] {
            for detach in [["-d"], []] {
                let up = try await CLI.Running(["up"] + detach + ["--name", name, stack.path], mark: stack.mark, extra: env)
                    .wait(limit: .seconds(5))
                #expect(up.status == 64, "\(up.stderr)")
                #expect(up.stderr.contains("is not a valid environment name"), "\(up.stderr)")
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: "/tmp").filter { $0.hasPrefix(escape) }.isEmpty)
        let down = try await CLI.Running(["down", "../x"], mark: stack.mark, extra: env).wait()
        #expect(down.status == 1 && down.stderr.contains("'../x' is not a valid environment name"), "\(down.stderr)")
        #expect(throws: PathTrustError.self) { try RunDirectory.create(root: stack.runRoot, name: "../x") }
        #expect(await eventually { stack.liveProcesses.isEmpty })
    }

    @Test func gcSignalsAListedGroupOnlyWhileItsLeaderHasTheRecordedStartTime() async throws {
        let log = try makeTemporaryDirectory()
        let reused = try ServiceProcess(.init(executable: "sleep", arguments: ["600"], environment: inheritedEnvironment, logFile: log + "/a.log"))
        let ours = try ServiceProcess(.init(executable: "sleep", arguments: ["600"], environment: inheritedEnvironment, logFile: log + "/b.log"))
        defer { Task { await reused.stop([.kill]); await ours.stop([.kill]) } }
        let reusedIdentity = try #require(ProcessIdentity.of(reused.pid))
        let ourIdentity = try #require(ProcessIdentity.of(ours.pid))
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try RunDirectory.prepareRoot(root)
        try PrivateDirectory.makeFolder(root + "/.owners")
        // A group whose pid now names a process started later (a reused pid), and one that is ours.
        try "group \(reused.pid) 9 \(reusedIdentity.startTime - 1)\ngroup \(ours.pid) 9 \(ourIdentity.startTime)\n"
            .write(toFile: root + "/.owners/999999", atomically: true, encoding: .utf8)
        let report = try Collector(root: root).collect(includingKept: false)
        #expect(report.stoppedGroups == [ours.pid])
        #expect(await eventually { !ourIdentity.isRunning })
        #expect(reusedIdentity.isRunning)
    }

    @Test func theWatchdogChecksStartTimesAndRemovesOnlyFoldersItOwns() async throws {
        let log = try makeTemporaryDirectory()
        let reused = try ServiceProcess(.init(executable: "sleep", arguments: ["600"], environment: inheritedEnvironment, logFile: log + "/a.log"))
        let ours = try ServiceProcess(.init(executable: "sleep", arguments: ["600"], environment: inheritedEnvironment, logFile: log + "/b.log"))
        defer { Task { await reused.stop([.kill]); await ours.stop([.kill]) } }
        let reusedIdentity = try #require(ProcessIdentity.of(reused.pid))
        let ourIdentity = try #require(ProcessIdentity.of(ours.pid))
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try RunDirectory.prepareRoot(root)
        let run = try RunDirectory.create(root: root, name: "run")
        let other = root + "/other"
        try PrivateDirectory.makeFolder(other)
        let shared = "/dev/shm/tbt-watchdog-\(UUID().uuidString.prefix(8))"  // parent writable by all
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: shared) }
        let list = root + "/list"
        try """
            group \(reused.pid) 9 \(reusedIdentity.startTime - 1)
            group \(ours.pid) 9 \(ourIdentity.startTime)
            dir \(shared)
            dir \(run.path)/../other
            dir \(run.path)

            """.write(toFile: list, atomically: true, encoding: .utf8)
        // The owner is gone at once: the script's stdin is empty.
        let watchdog = try ServiceProcess(.init(executable: "/bin/sh", arguments: ["-c", Watchdog.script, "testbed-watchdog", list],
                                                environment: inheritedEnvironment, logFile: log + "/watchdog.log"))
        #expect(await watchdog.waitForExit() == .exited(0), "\(watchdog.log.lastLines(5))")
        #expect(!ourIdentity.isRunning)
        #expect(reusedIdentity.isRunning)
        #expect(FileManager.default.fileExists(atPath: shared))
        #expect(FileManager.default.fileExists(atPath: other))
        #expect(!FileManager.default.fileExists(atPath: run.path))
        #expect(!FileManager.default.fileExists(atPath: list))
    }

    @Test func removingARunNeverFollowsASymlinkInside() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let outside = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: outside) }
        try "keep me".write(toFile: outside + "/file", atomically: true, encoding: .utf8)
        let run = try RunDirectory.create(root: root, name: "run")
        let db = run.folder(for: "db")
        try RunDirectory.makeDirectory(db)
        try FileManager.default.createDirectory(atPath: db + "/data/base/1", withIntermediateDirectories: true)
        try "page".write(toFile: db + "/data/base/1/1259", atomically: true, encoding: .utf8)
        // What a server account could plant in its own folder: links to folders it may not touch.
        try FileManager.default.createSymbolicLink(atPath: db + "/data/pg_wal", withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: db + "/log", withDestinationPath: outside + "/file")
        run.remove()
        #expect(!FileManager.default.fileExists(atPath: run.path))
        #expect(try String(contentsOfFile: outside + "/file", encoding: .utf8) == "keep me")
    }

    @Test func downNeverSignalsAPidThatNoLongerNamesTheSupervisor() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try RunDirectory.prepareRoot(root)
        let stranger = Process()
        stranger.executableURL = URL(fileURLWithPath: "/bin/sleep")
        stranger.arguments = ["600"]
        try withUnblockedSignals { try stranger.run() }
        defer { kill(stranger.processIdentifier, SIGKILL) }
        let identity = try #require(ProcessIdentity.of(stranger.processIdentifier))
        // detached.json of a supervisor that died; its pid now belongs to `stranger`.
        let run = DetachedRun(name: "gone", pid: identity.pid, startTime: identity.startTime - 1, manifest: "m.yml",
                              runDirectory: root + "/gone-1-x", startedAt: 0, expiresAt: nil)
        #expect(!run.isAlive)
        try run.tearDown(root: root, patience: .seconds(1))
        #expect(identity.isRunning)
    }
}
