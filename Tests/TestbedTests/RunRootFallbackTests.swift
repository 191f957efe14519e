import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedDrivers

/// The choice of a run root against the room a run needs, with the free space given.
@Suite struct RunRootChoiceTests {
    static let mb: UInt64 = 1 << 20
    let memory = RunDirectory.root(environment: [:])
    let disk = RunDirectory.diskRoot()

    @Test func aRunThatFitsStaysInMemoryWithoutANote() throws {
        let root = try RunRoot.choose(named: nil, environment: [:], need: 100 * Self.mb) { _ in 200 * Self.mb }
        #expect(root == RunRoot(path: memory))
    }

    @Test func aRunTooLargeForMemoryGoesToDiskWithOneNoteSayingWhyAndHowToStayInMemory() throws {
        let root = try RunRoot.choose(named: nil, environment: [:], need: 100 * Self.mb) { path in
            path.hasPrefix(memory) || memory.hasPrefix(path) ? 60 * Self.mb : 10_000 * Self.mb
        }
        #expect(root.path == disk)
        let note = try #require(root.note)
        #expect(!note.contains("\n"))
        #expect(note.contains("needs 100 MB") && note.contains("60 MB free"), "\(note)")
        #expect(note.contains("--shm-size=") && note.contains("TESTBED_RUN_ROOT"), "\(note)")
    }

    @Test func noRoomAnywhereFailsWithEverySizeAndTheFix() {
        let error = #expect(throws: EnvironmentError.self) {
            _ = try RunRoot.choose(named: nil, environment: [:], need: 100 * Self.mb) { path in
                path.hasPrefix(memory) || memory.hasPrefix(path) ? 60 * Self.mb : 30 * Self.mb
            }
        }
        #expect(error?.code == .diskFull)
        #expect(error?.message.contains("100 MB") == true && error?.message.contains("60 MB free") == true
                && error?.message.contains("30 MB free") == true, "\(String(describing: error))")
        #expect(error?.hint?.contains("TESTBED_RUN_ROOT") == true && error?.hint?.contains("--shm-size") == true)
    }

    @Test func aNamedRunRootIsNeverSwappedForAnother() {
        for (named, environment) in [("/somewhere/runs", [String: String]()), (nil, ["TESTBED_RUN_ROOT": "/somewhere/runs"])] {
            let error = #expect(throws: EnvironmentError.self) {
                _ = try RunRoot.choose(named: named, environment: environment, need: 100 * Self.mb) { _ in 60 * Self.mb }
            }
            #expect(error?.code == .diskFull)
            #expect(error?.message.contains("/somewhere/runs") == true && error?.message.contains("100 MB") == true
                    && error?.message.contains("60 MB free") == true, "\(String(describing: error))")
            #expect(error?.hint?.contains("TESTBED_RUN_ROOT") == true)
        }
    }

    @Test func anUnknownNeedChecksNothing() throws {
        let root = try RunRoot.choose(named: nil, environment: [:], need: 0) { _ in 0 }
        #expect(root == RunRoot(path: memory))
    }

    @Test func aPackHeaderGivesTheUnpackedSizeWithoutTheDeferredFolders() throws {
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tree = folder + "/tree"
        try FileManager.default.createDirectory(atPath: tree + "/base/1900000000", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: tree + "/base/1", withIntermediateDirectories: true)
        try Data(repeating: 1, count: 30_000).write(to: URL(fileURLWithPath: tree + "/base/1/a"))
        try Data(repeating: 1, count: 30_000).write(to: URL(fileURLWithPath: tree + "/base/1/b"))  // the same content: stored once, unpacked twice
        try Data(repeating: 2, count: 5_000).write(to: URL(fileURLWithPath: tree + "/base/1900000000/t"))
        try Data(repeating: 3, count: 7).write(to: URL(fileURLWithPath: tree + "/PG_VERSION"))
        try ClusterPack.pack(tree: tree, to: folder + "/tree.pack")
        #expect(ClusterPack.plannedSize(folder + "/tree.pack") == 65_007)
        #expect(ClusterPack.plannedSize(folder + "/tree.pack", deferring: ["base/1900000000"]) == 60_007)
        #expect(ClusterPack.plannedSize(folder + "/missing.pack") == nil)
        try Data("not a pack".utf8).write(to: URL(fileURLWithPath: folder + "/bad.pack"))
        #expect(ClusterPack.plannedSize(folder + "/bad.pack") == nil)
    }

    @Test func gcLsAndDownLookInBothRootsUnlessOneIsNamed() {
        #expect(RunDirectory.roots(environment: [:]) == [memory, disk])
        #expect(RunDirectory.roots(environment: ["TESTBED_RUN_ROOT": "/x"]) == ["/x"])
    }
}

/// `testbed run` in a private mount namespace whose `/dev/shm` and `/var/tmp` are small
/// tmpfs mounts (Docker's default is 64 MB), with the benchmark seed (10,000 users,
/// 50,000 orders) already cached: the run goes to disk with one note, or fails before it
/// writes anything with both sizes; either way nothing is left in either root.
@Suite("Run root fallback", .serialized, .enabled(if: UnixUser.isRoot, "needs root for a private mount namespace"))
struct RunRootFallbackTests {
    static let seed = """
        CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);
        CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), amount numeric(10,2));
        INSERT INTO users SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 10000) g;
        INSERT INTO orders SELECT g, 1 + g % 10000, (g % 10000) / 100.0 FROM generate_series(1, 50000) g;
        """

    static let manifest = """
        services:
          db:
            postgres: {}
            seed: [seed.sql]
        exports:
          DATABASE_URL: ${db.url}
        """

    /// What one isolated run printed, and the run directories left in each root.
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
        var leftInMemory: [String]
        var leftOnDisk: [String]
        var notes: Int { stderr.components(separatedBy: "\n").filter { $0.contains("its run directory is on disk") }.count }
    }

    /// A stack whose cache already holds the seeded cluster (filled by a run in the normal root).
    static func warmStack() async throws -> TestStack {
        let stack = try TestStack(manifest, files: ["seed.sql": seed])
        let fill = try await CLI.Running(["run", stack.path, "--", "true"], mark: stack.mark,
                                         extra: ["TESTBED_CACHE_DIR": stack.folder + "/cache"]).wait()
        try #require(fill.status == 0, "\(fill.stderr)")
        return stack
    }

    /// Runs `testbed run` with `/dev/shm` a tmpfs of `shm` and `/var/tmp` one of `disk`,
    /// counting the orders through `DATABASE_URL`; lists what is left under both roots.
    static func isolatedRun(_ stack: TestStack, shm: String, disk: String, runRoot: String? = nil) async throws -> Outcome {
        let uid = geteuid()
        let script = """
            set -u
            mount -t tmpfs -o size=\(shm),mode=1777 tmpfs /dev/shm || exit 90
            mount -t tmpfs -o size=\(disk),mode=1777 tmpfs /var/tmp || exit 91
            "$TESTBED_BIN" run "$MANIFEST" -- sh -c 'psql "$DATABASE_URL" -tAc "SELECT count(*) FROM orders"'
            status=$?
            for root in /dev/shm/testbed-\(uid) /dev/shm/explicit /var/tmp/testbed-\(uid); do
              [ -d "$root" ] && ls "$root" | sed "s|^|LEFT $root |"
            done
            exit $status
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["-m", "--propagation", "private", "/bin/sh", "-c", script]
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "TESTBED_RUN_ROOT")
        if let runRoot { environment["TESTBED_RUN_ROOT"] = runRoot }
        let parts = stack.mark.split(separator: "=", maxSplits: 1).map(String.init)
        environment[parts[0]] = parts[1]
        environment["TESTBED_BIN"] = CLI.binary
        environment["MANIFEST"] = stack.path
        environment["TESTBED_CACHE_DIR"] = stack.folder + "/cache"
        environment["NO_COLOR"] = "1"
        process.environment = environment
        let out = stack.folder + "/isolated.out", err = stack.folder + "/isolated.err"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        process.standardInput = nil
        try withUnblockedSignals { try process.run() }
        let deadline = ContinuousClock.now + .seconds(120)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let stdout = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let left = stdout.split(separator: "\n").filter { $0.hasPrefix("LEFT ") }.map { String($0.dropFirst(5)) }
        return Outcome(status: process.terminationStatus, stdout: stdout,
                       stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "",
                       leftInMemory: left.filter { $0.hasPrefix("/dev/shm/") }, leftOnDisk: left.filter { $0.hasPrefix("/var/tmp/") })
    }

    @Test func theBenchmarkSeedRunsWithDockersDefault64MBDevShm() async throws {
        let stack = try await Self.warmStack()
        defer { stack.cleanUp() }
        let outcome = try await Self.isolatedRun(stack, shm: "64m", disk: "1g")
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.split(separator: "\n").first == "50000", "\(outcome.stdout)")
        #expect(outcome.notes <= 1, "\(outcome.stderr)")
        #expect(outcome.leftInMemory.isEmpty && outcome.leftOnDisk.isEmpty, "\(outcome.leftInMemory + outcome.leftOnDisk)")
    }

    @Test func aRunTooLargeForDevShmGoesToDiskWithOneNoteAndLeavesNothing() async throws {
        let stack = try await Self.warmStack()
        defer { stack.cleanUp() }
        let outcome = try await Self.isolatedRun(stack, shm: "8m", disk: "1g")
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.split(separator: "\n").first == "50000", "\(outcome.stdout)")
        #expect(outcome.notes == 1, "one note line: \(outcome.stderr)")
        #expect(outcome.stderr.contains("/var/tmp/testbed-\(geteuid())") && outcome.stderr.contains("--shm-size="), "\(outcome.stderr)")
        #expect(outcome.leftInMemory.isEmpty && outcome.leftOnDisk.isEmpty, "\(outcome.leftInMemory + outcome.leftOnDisk)")
    }

    @Test func noRoomInMemoryNorOnDiskFailsWithTheSizesBeforeWritingAnything() async throws {
        let stack = try await Self.warmStack()
        defer { stack.cleanUp() }
        let outcome = try await Self.isolatedRun(stack, shm: "8m", disk: "8m")
        #expect(outcome.status == 125, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("the run needs") && outcome.stderr.contains("/dev/shm/testbed-")
                && outcome.stderr.contains("/var/tmp/testbed-") && outcome.stderr.contains("MB free"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("TESTBED_RUN_ROOT"), "\(outcome.stderr)")
        #expect(outcome.leftInMemory.isEmpty && outcome.leftOnDisk.isEmpty, "\(outcome.leftInMemory + outcome.leftOnDisk)")
    }

    @Test func aTooSmallTestbedRunRootFailsWithBothSizesAndNeverFallsBack() async throws {
        let stack = try await Self.warmStack()
        defer { stack.cleanUp() }
        let outcome = try await Self.isolatedRun(stack, shm: "8m", disk: "1g", runRoot: "/dev/shm/explicit")
        #expect(outcome.status == 125, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("run root /dev/shm/explicit") && outcome.stderr.contains("MB free")
                && outcome.stderr.contains("the run needs"), "\(outcome.stderr)")
        #expect(outcome.notes == 0, "\(outcome.stderr)")
        #expect(outcome.leftInMemory.isEmpty && outcome.leftOnDisk.isEmpty, "\(outcome.leftInMemory + outcome.leftOnDisk)")
    }
}
