import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedHealth

@Suite struct PortAllocatorTests {
    /// Runs a python3 child that tries to take the lock of `port` the way another Testbed
    /// run would (flock, non-blocking); true when it got it.
    private func anotherProcessCanLock(_ port: Int, in directory: String) async throws -> Bool {
        let script = """
            import fcntl, sys
            f = open(sys.argv[1], 'a')
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                sys.exit(1)
            """
        let child = try ServiceProcess(.init(
            executable: "python3", arguments: ["-c", script, "\(directory)/\(port).lock"],
            environment: inheritedEnvironment, logFile: try makeTemporaryDirectory() + "/flock.log"))
        let status = await child.waitForExit()
        await child.stop([.kill])
        guard status == .exited(0) || status == .exited(1) else {
            throw TestFailure("flock child: \(status): \(child.log.lastLines(5))")
        }
        return status == .exited(0)
    }

    @Test func twoHundredReservationsAreDistinct() throws {
        let allocator = PortAllocator(lockDirectory: try makeTemporaryDirectory())
        let reservations = try (0..<200).map { _ in try allocator.reserve() }
        #expect(Set(reservations.map(\.port)).count == 200)
        #expect(reservations.allSatisfy { (1024...65535).contains($0.port) && $0.isHeld })
        reservations.forEach { $0.release() }
    }

    @Test func concurrentReservationsAreDistinct() async throws {
        let allocator = PortAllocator(lockDirectory: try makeTemporaryDirectory())
        let reservations = try await withThrowingTaskGroup(of: [PortReservation].self) { group in
            for _ in 0..<16 {
                group.addTask { try (0..<10).map { _ in try allocator.reserve() } }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(reservations.count == 160)
        #expect(Set(reservations.map(\.port)).count == 160)
        reservations.forEach { $0.release() }
    }

    @Test func anotherProcessCannotTakeAReservedPortUntilItIsReleased() async throws {
        let allocator = PortAllocator()  // the shared default directory, as real runs use
        let reservation = try allocator.reserve()
        // The shared folder, or this account's own when another user made the shared one first
        // (as the unprivileged CI lane or a user of the machine may have).
        let directory = try allocator.usableLockDirectory()
        var info = stat()
        #expect(stat(directory, &info) == 0
                && info.st_mode & 0o7777 == (directory == PortAllocator.defaultLockDirectory ? 0o1777 : 0o700))
        #expect(stat("\(directory)/\(reservation.port).lock", &info) == 0
                && info.st_mode & 0o777 == 0o644)
        reservation.releaseSocket()  // the lock alone must keep other runs out
        #expect(try await !anotherProcessCanLock(reservation.port, in: directory))
        reservation.release()
        #expect(!reservation.isHeld)
        #expect(try await anotherProcessCanLock(reservation.port, in: directory))
        unlink("\(directory)/\(reservation.port).lock")
    }

    @Test func aPortLockedByAnotherProcessIsNotHandedOut() async throws {
        let directory = try makeTemporaryDirectory()
        let allocator = PortAllocator(lockDirectory: directory)
        let probe = try allocator.reserve()
        let port = probe.port
        probe.release()
        // A child holds the lock of `port` (as another run would after releaseSocket) until killed.
        let holder = try ServiceProcess(.init(
            executable: "python3",
            arguments: ["-c", "import fcntl,sys,time; f=open(sys.argv[1],'a'); fcntl.flock(f, fcntl.LOCK_EX); "
                        + "print('locked', flush=True); time.sleep(60)", "\(directory)/\(port).lock"],
            environment: inheritedEnvironment, logFile: directory + "/holder.log"))
        let locked = try LogProbe(pattern: "^locked$", log: holder.log)
        let failure = await pollUntilHealthy(locked)
        #expect(failure == nil)
        let fixed = #expect(throws: PortError.self) { try allocator.reserve(fixed: port) }
        #expect(fixed?.code == .inUse)
        #expect(fixed?.message == "port \(port) is reserved by another Testbed run; "
                + "remove the fixed port from the manifest to let Testbed choose one")
        // The kernel offers the locked port first (as it may once the holder released its
        // socket): it must be skipped for the next candidate.
        var candidates = [port, 0]
        let other = try allocator.reserve { try PortAllocator.bindLoopback(port: candidates.removeFirst()) }
        #expect(other.port != port && candidates.isEmpty)
        other.release()
        await holder.stop([.kill])  // locks die with the process
        let after = try allocator.reserve(fixed: port)
        #expect(after.port == port)
        after.release()
    }

    @Test func releaseSocketLetsTheServiceBindThePort() throws {
        let reservation = try PortAllocator(lockDirectory: try makeTemporaryDirectory()).reserve()
        defer { reservation.release() }
        // While held, only a service that sets SO_REUSEADDR (most servers do) could bind it.
        #expect(throws: TestFailure.self) { try TestListener(port: reservation.port, reuseAddress: false) }
        reservation.releaseSocket()
        let service = try TestListener(port: reservation.port, reuseAddress: false)
        #expect(service.port == reservation.port && reservation.isHeld)
    }

    @Test func fixedPortInUseNamesThePort() throws {
        let listener = try TestListener()
        let allocator = PortAllocator(lockDirectory: try makeTemporaryDirectory())
        let error = #expect(throws: PortError.self) { try allocator.reserve(fixed: listener.port) }
        #expect(error?.code == .inUse && error?.port == listener.port)
        // The holder is this test process, named by /proc.
        let me = (ProcessTable.commandLine(getpid()) ?? []).joined(separator: " ")
        #expect(error?.message == "port \(listener.port) is in use by pid \(getpid()) (\(me.count > 80 ? String(me.prefix(77)) + "..." : me)); "
                + "remove the fixed port from the manifest to let Testbed choose one", "\(error?.message ?? "")")
        #expect(throws: PortError.self) { try allocator.reserve(fixed: 0) }
    }

    @Test func aFixedPortInUseNamesThePidAndCommandOfTheProcessThatHoldsIt() async throws {
        let free = try PortAllocator(lockDirectory: try makeTemporaryDirectory()).reserve()
        let port = free.port
        free.release()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        server.arguments = ["-m", "http.server", "--bind", "127.0.0.1", "\(port)"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        // Spawned with no signal blocked (a test thread blocks most), so that terminate() ends it.
        try withUnblockedSignals { try server.run() }
        defer { server.terminate(); server.waitUntilExit() }
        #expect(await eventually { ProcessTable.holder(ofPort: port) != nil })
        let allocator = PortAllocator(lockDirectory: try makeTemporaryDirectory())
        let error = #expect(throws: PortError.self) { try allocator.reserve(fixed: port) }
        #expect(error?.message.hasPrefix("port \(port) is in use by pid \(server.processIdentifier) "
                + "(/usr/bin/python3 -m http.server --bind 127.0.0.1 \(port)); ") == true, "\(error?.message ?? "")")
        #expect(ProcessTable.holder(ofPort: port)?.pid == server.processIdentifier)
    }

    @Test func aSocketHolderOfAnotherAccountIsNamedByItsUserOnly() {
        let holder = ProcessTable.SocketHolder(pid: nil, command: nil, uid: 0)
        #expect(holder.description == "a process of user 'root' (uid 0), whose details this account cannot read")
        let table = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000   105        0 4242 1 0 100 0 0 10 0
               1: 0100007F:9C40 0100007F:1F90 06 00000000:00000000 03:00000D8A 00000000     0        0 0 3 0
            """
        #expect(ProcessTable.parseTCP(table) == [
            .init(port: 8080, isListening: true, uid: 105, inode: 4242),
            .init(port: 40000, isListening: false, uid: 0, inode: 0),
        ])
    }

    @Test(.enabled(if: LocalUser.canCreate, "needs root and useradd to create a second user"))
    func aFixedPortHeldByRootIsNamedToAnotherUserWithoutDetails() async throws {
        let listener = try TestListener()
        let stack = try TestStack("""
            services:
              web:
                command: "exec sleep 600"
                ports: {http: \(listener.port)}
            """)
        defer { stack.cleanUp() }
        let runRoot = "/dev/shm/tbt-holder-\(UUID().uuidString.prefix(8))"
        let result = try await withLocalUser(prefix: "tbt-holder") { user in
            try await CLI.Running(["run", stack.path, "--", "true"], mark: stack.mark,
                                  extra: ["TESTBED_RUN_ROOT": runRoot, "HOME": "/tmp", "TESTBED_CACHE_DIR": runRoot + "-cache"],
                                  workingDirectory: "/tmp", user: user.account).wait()
        }
        try? FileManager.default.removeItem(atPath: runRoot)
        try? FileManager.default.removeItem(atPath: runRoot + "-cache")
        #expect(result.status == 125, "\(result.stderr)")
        #expect(result.stderr.contains("port \(listener.port) is in use by a process of user 'root' (uid 0), "
                + "whose details this account cannot read"), "\(result.stderr)")
    }

    @Test func fixedPortIsReservedOnceAndItsLockFileRemovedAtRelease() throws {
        let directory = try makeTemporaryDirectory()
        let allocator = PortAllocator(lockDirectory: directory)
        let free = try allocator.reserve()
        let port = free.port
        free.release()
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/\(port).lock"))
        // A lock file left by a crashed run does not block the port.
        _ = FileManager.default.createFile(atPath: "\(directory)/\(port).lock", contents: nil)
        let fixed = try allocator.reserve(fixed: port)
        let error = #expect(throws: PortError.self) { try allocator.reserve(fixed: port) }
        #expect(error?.message.contains("reserved by another Testbed run") == true)
        fixed.release()
        fixed.release()
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/\(port).lock"))
    }

    @Test func portsAreChosenBelowTheEphemeralRange() throws {
        let allocator = PortAllocator(lockDirectory: try makeTemporaryDirectory())
        let candidates = PortCandidates.current()
        let ephemeral = try #require(PortCandidates.parseRange(
            try String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)))
        let range = try #require(candidates.range, "this machine's ephemeral range \(ephemeral) leaves room below it")
        let reservations = try (0..<50).map { _ in try allocator.reserve() }
        defer { reservations.forEach { $0.release() } }
        for reservation in reservations {
            #expect(range.contains(reservation.port) && !ephemeral.contains(reservation.port),
                    "\(reservation.port) is in the ephemeral range \(ephemeral)")
        }
    }

    @Test func candidatesFollowTheKernelSettings() throws {
        #expect(PortCandidates.parseRange("32768\t60999\n") == 32768...60999)
        #expect(PortCandidates.parseRange("60999 32768") == nil && PortCandidates.parseRange("") == nil)
        #expect(PortCandidates.parseReserved("8080,20000-20002\n") == [8080, 20000, 20001, 20002])
        #expect(PortCandidates.parseReserved("\n").isEmpty)
        #expect(PortCandidates(ephemeral: 32768...60999).range == 16384...32767)
        // A range that starts low leaves the ports above it; one that covers nearly all, none.
        #expect(PortCandidates(ephemeral: 1024...40000).range == 40001...65535)
        #expect(PortCandidates(ephemeral: 1024...65000).range == nil)
        // Reserved ports are never tried.
        var reserved = PortCandidates(ephemeral: 20000...60999, reserved: Set(16384...19999))
        for _ in 0..<20 { #expect(try reserved.next() == nil) }
    }

    @Test func aPortHeldByAnotherSocketIsRefusedAsACandidate() throws {
        let allocator = PortAllocator(lockDirectory: try makeTemporaryDirectory())
        let reservation = try allocator.reserve()
        let port = reservation.port
        reservation.release()
        // Another process's socket, bound with SO_REUSEADDR (or a connection in TIME_WAIT):
        // a service that binds without SO_REUSEADDR would fail, so the candidate is refused.
        let other = try PortAllocator.bindLoopback(port: port)
        defer { close(other) }
        #expect(throws: PortAllocator.Errno.self) { try PortAllocator.bindLoopback(port: port, exclusive: true) }
        var offered = [port, port, 0]
        let next = try allocator.reserve {
            let candidate = offered.removeFirst()
            return try? PortAllocator.bindLoopback(port: candidate, exclusive: candidate != 0)
        }
        defer { next.release() }
        #expect(next.port != port && offered.isEmpty)
    }
}
