import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedDrivers

/// The reflink image of root's runs: an XFS file system on a loop device in tmpfs, made on
/// first need, held by runs, grown on demand, torn down by gc when no run holds it, and
/// never in the way where loop devices are missing.
@Suite("Reflink image", .serialized, .timeLimit(.minutes(5)),
       .enabled(if: LoopImage.unavailable == nil, "needs root, loop devices and xfsprogs"))
struct LoopImageTests {
    /// A private folder in /dev/shm holding one test's image; torn down and deleted at the end.
    final class Place: Sendable {
        let parent: String
        let image: LoopImage

        init() {
            parent = "/dev/shm/testbed-imgtest-\(UUID().uuidString.prefix(8))"
            image = LoopImage(folder: parent + "/.reflink")
        }

        /// The image in this place, taken even for the tests' small seeds.
        var environment: [String: String] { ["TESTBED_STORAGE_IMAGE": image.folder, "TESTBED_STORAGE": "reflink"] }

        /// True when something is mounted at the image's mount point (in this mount namespace).
        var mounted: Bool {
            ((try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? "").contains(" \(image.mountPoint) ")
        }

        /// True when a loop device is still backed by this image.
        var loopDeviceLeft: Bool {
            ((try? LocalAttacker.command("/usr/sbin/losetup", ["-a"]))?.output ?? "").contains(parent)
        }

        deinit {
            _ = image.tearDownIfUnused()
            _ = try? LocalAttacker.command("/bin/rm", ["-rf", "--one-file-system", parent])
        }
    }

    static func size(_ path: String) -> UInt64 {
        var info = statvfs()
        statvfs(path, &info)
        return UInt64(info.f_blocks) * UInt64(info.f_frsize)
    }

    @Test func theImageIsMadeOnceSharedByHoldsAndTornDownOnlyWhenNoneIsLeft() throws {
        let place = Place()
        let first = try #require(place.image.hold(need: 64 << 20))
        #expect(place.mounted)
        #expect(ReflinkProbe.sharesExtents(from: first.mountPoint, to: first.mountPoint))
        var mode = stat()
        lstat(place.image.folder, &mode)
        #expect(mode.st_mode & 0o077 == 0 && mode.st_uid == 0, "the image's folder is root's alone")
        let second = try #require(place.image.hold(need: 64 << 20))
        #expect(place.image.tearDownIfUnused() == nil, "held twice")
        first.release()
        #expect(place.image.tearDownIfUnused() == nil, "still held once")
        second.release()
        #expect(place.image.tearDownIfUnused() == place.image.folder)
        #expect(!place.mounted)
        #expect(!place.loopDeviceLeft)
        #expect(!FileManager.default.fileExists(atPath: place.image.folder + "/image"))
    }

    @Test func theImageGrowsWhenASeedNeedsMoreThanItHasFree() throws {
        let place = Place()
        let small = try #require(place.image.hold(need: 64 << 20))
        let before = Self.size(small.mountPoint)
        let large = try #require(place.image.hold(need: before + (1 << 30)))
        let after = Self.size(large.mountPoint)
        #expect(after > before + (1 << 30), "grown from \(before) to \(after) bytes")
        small.release()
        large.release()
    }

    /// Warm runs as root clone into the image (named in the notes), a write in one is not
    /// seen in the other, and stopping them leaves the image mounted but empty of runs.
    @Test func warmRunsCloneIntoTheImageAndKeepTheirWritesPrivate() async throws {
        let place = Place()
        let run = try PostgresTestRun()
        let seed = CloneStorageTests.seed
        var cold = try run.options("cold", seed: seed)
        cold.environment.merge(place.environment) { $1 }
        _ = try await run.withCluster(cold) { cluster, _ in try cluster.count("orders") }
        run.clearEvents()
        var one = try run.options("one", seed: seed), two = try run.options("two", seed: seed)
        one.environment.merge(place.environment) { $1 }
        two.environment.merge(place.environment) { $1 }
        let first = try PostgresCluster(one), second = try PostgresCluster(two)
        do {
            _ = try await first.start()
            _ = try await second.start()
            let link = try FileManager.default.destinationOfSymbolicLink(atPath: one.serviceDirectory + "/data")
            #expect(link.hasPrefix(place.image.mountPoint + "/runs/"), "\(link)")
            let connection = try first.connection()
            try connection.execute("DELETE FROM orders; CHECKPOINT")
            connection.close()
            #expect(try first.count("orders") == 0)
            #expect(try second.count("orders") == 3)
            try await first.reset()  // its template is cloned from the tree in the image
            #expect(try first.count("orders") == 3)
        } catch {
            await first.stop()
            await second.stop()
            throw error
        }
        await first.stop()
        await second.stop()
        let notes = run.details(.note)
        #expect(notes.filter { $0 == "storage: reflink (the run's data directory from the cache, in the reflink image)" }.count == 2,
                "\(notes)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: place.image.mountPoint + "/runs").isEmpty)
        #expect(place.mounted, "kept for the next run")
        #expect(place.image.tearDownIfUnused() == place.image.folder)
        #expect(!place.mounted && !place.loopDeviceLeft)
    }

    /// A small seed (under ``ClusterTrees/smallestPack``) is copied by default, the image left
    /// unmade: there the copy is as fast.
    @Test func aSmallSeedIsCopiedUnlessTheImageIsAskedFor() async throws {
        let place = Place()
        let run = try PostgresTestRun()
        for name in ["cold", "warm"] {
            var options = try run.options(name, seed: CloneStorageTests.seed)
            options.environment["TESTBED_STORAGE_IMAGE"] = place.image.folder
            #expect(try await run.withCluster(options) { cluster, _ in try cluster.count("orders") } == 3)
        }
        #expect(run.details(.note).contains("storage: copy (the run's data directory from the cache; a seed under 64 MB copies "
                                            + "faster than it clones)"), "\(run.details(.note))")
        #expect(!FileManager.default.fileExists(atPath: place.image.folder + "/image"), "no image was made")
    }

    /// `testbed run` killed with SIGKILL while its command runs: the watchdog deletes its
    /// clone in the image, its hold goes with it, and gc's tear-down unmounts the image and
    /// frees the loop device.
    @Test func aKilledRunLeavesNothingOnceTheWatchdogAndGcHaveRun() async throws {
        let place = Place()
        let stack = try TestStack("""
            services:
              db:
                postgres: {}
                seed: [seed.sql]
            """, files: ["seed.sql": "CREATE TABLE t (id int); INSERT INTO t VALUES (1);"])
        defer { stack.cleanUp() }
        let env = place.environment.merging(["TESTBED_RUN_ROOT": stack.runRoot, "TESTBED_CACHE_DIR": stack.folder + "/cache"]) { $1 }
        let fill = await (try CLI.Running(["run", stack.path, "--", "true"], mark: stack.mark, extra: env)).wait()
        try #require(fill.status == 0, "\(fill.stderr)")
        let running = try CLI.Running(["run", "--json", stack.path, "--", "sleep", "60"], mark: stack.mark, extra: env)
        let runs = place.image.mountPoint + "/runs"
        let deadline = ContinuousClock.now + .seconds(60)
        while ((try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []).isEmpty && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(!((try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []).isEmpty, "the run cloned into the image")
        while !running.stderrSoFar.contains("\"ready\"") && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(running.process.processIdentifier, SIGKILL)
        let outcome = await running.wait()
        #expect(outcome.stderr.contains("in the reflink image"), "named in --json: \(outcome.stderr)")
        let cleared = ContinuousClock.now + .seconds(30)
        while !((try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []).isEmpty && ContinuousClock.now < cleared {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []).isEmpty, "the watchdog deleted the clone")
        // What `testbed gc` does for the image (`Environment.collectGarbage`); the command itself
        // is not run here: its clean-up of dynamic user ids would reach other tests' servers.
        #expect(LoopImage.forCollection(environment: env)?.folder == place.image.folder)
        #expect(place.image.tearDownIfUnused() == place.image.folder, "no run holds it any more")
        #expect(!place.mounted && !place.loopDeviceLeft)
    }

    /// In a private mount namespace whose loop control device is /dev/null (as in a
    /// container without loop devices), a warm run copies, silently, and makes no image.
    @Test func withoutLoopDevicesAWarmRunCopiesSilently() async throws {
        let place = Place()
        let stack = try TestStack("""
            services:
              db:
                postgres: {}
                seed: [seed.sql]
            exports:
              DATABASE_URL: ${db.url}
            """, files: ["seed.sql": "CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2);"])
        defer { stack.cleanUp() }
        let env = place.environment.merging(["TESTBED_RUN_ROOT": stack.runRoot, "TESTBED_CACHE_DIR": stack.folder + "/cache"]) { $1 }
        let fill = await (try CLI.Running(["run", stack.path, "--", "true"], mark: stack.mark, extra: env)).wait()
        try #require(fill.status == 0, "\(fill.stderr)")
        let script = """
            mount --bind /dev/null /dev/loop-control || exit 90
            exec "\(CLI.binary)" run --json "$1" -- sh -c 'psql "$DATABASE_URL" -tAc "SELECT count(*) FROM t"'
            """
        let isolated = await (try CLI.Running(["-m", "--propagation", "private", "/bin/sh", "-c", script, "sh", stack.path],
                                               mark: stack.mark, extra: env, executable: "/usr/bin/unshare")).wait()
        #expect(isolated.status == 0, "\(isolated.stderr)")
        #expect(isolated.stdout.split(separator: "\n").first == "2", "\(isolated.stdout)")
        #expect(isolated.stderr.contains("storage: copy (the run's data directory from the cache)"), "\(isolated.stderr)")
        #expect(!isolated.stderr.contains("\"failed\""), "\(isolated.stderr)")
        #expect(!FileManager.default.fileExists(atPath: place.image.folder + "/image"), "no image was made")
    }
}
