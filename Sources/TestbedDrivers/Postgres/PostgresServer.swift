import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

/// One running postmaster on a data directory, started directly (never `pg_ctl`).
///
/// Readiness is read from `postmaster.pid` (8th line `ready`), polled every
/// millisecond, which is what `pg_ctl -w` checks, without its 100 ms sleeps.
final class PostgresServer: Sendable {
    let process: ServiceProcess
    let dataDirectory: String
    /// The SysV interlock segment from `postmaster.pid` (key, id), removed after a stop if left.
    let sharedMemory: (key: Int32, id: Int32)?
    /// The account the server runs as: only a segment it created is ever removed.
    let serverUID: uid_t

    /// Testbed's test defaults: durability off, a small memory footprint, no TCP unless
    /// asked, sockets in the service's private directory, authentication from `hbaFile`
    /// (the caller's file: the server's account can neither change nor replace it).
    /// `overrides` (the manifest's `settings`) win.
    static func settings(socketDirectory: String, tcp: Bool, hbaFile: String,
                         overrides: [(name: String, value: String)]) -> [(name: String, value: String)] {
        var list: [(name: String, value: String)] = [
            ("listen_addresses", tcp ? "127.0.0.1" : ""),
            ("unix_socket_directories", socketDirectory),
            // Authentication is `trust` on the socket: only the server's user (and root) may connect.
            ("unix_socket_permissions", "0700"),
            ("hba_file", hbaFile),
            ("fsync", "off"), ("synchronous_commit", "off"), ("full_page_writes", "off"),
            ("shared_buffers", "32MB"), ("max_wal_senders", "0"), ("wal_level", "minimal"),
            // Recycled WAL segments would be copied with every cluster: keep few.
            ("min_wal_size", "2MB"), ("max_wal_size", "64MB"),
            // In the data directory (on tmpfs) rather than /dev/shm: removed with the cluster.
            ("dynamic_shared_memory_type", "mmap"),
            ("logging_collector", "off"),
        ]
        for (name, value) in overrides {
            list.removeAll { $0.name.lowercased() == name.lowercased() }
            list.append((name, value))
        }
        return list
    }

    /// What `pg_hba.conf` says for every run: `trust` on the Unix socket (a 0700 socket in
    /// a 0700 folder of the server's account: only that account and root reach it), a
    /// SCRAM password on every TCP address. A server whose role has no password yet
    /// refuses every TCP login, so there is no moment when TCP trusts.
    static let hbaRules = """
        # Written by Testbed for this run; see docs/security.md.
        local all all trust
        host all all all scram-sha-256

        """

    private init(process: ServiceProcess, dataDirectory: String, sharedMemory: (key: Int32, id: Int32)?, serverUID: uid_t) {
        self.process = process
        self.dataDirectory = dataDirectory
        self.sharedMemory = sharedMemory
        self.serverUID = serverUID
    }

    /// Spawns `postgres` as `user` (nil: this process's account) and returns once it accepts connections.
    ///
    /// Throws ``PostgresError`` (`.startup`) with the server's last log lines when it
    /// exits or is not ready within `timeout`; nothing is left running then.
    static func start(_ installation: PostgresInstallation, dataDirectory: String, port: Int,
                      settings: [(name: String, value: String)], user: UnixUser?, logFile: String,
                      timeout: Duration = .seconds(60)) async throws -> PostgresServer {
        var arguments = ["-D", dataDirectory, "-p", String(port)]
        for (name, value) in settings { arguments += ["-c", "\(name)=\(value)"] }
        let process: ServiceProcess
        do {
            var configuration = ServiceProcess.Options(
                executable: installation.postgres, arguments: arguments, environment: serverEnvironment,
                workingDirectory: dataDirectory, logFile: logFile, user: user)
            // If Testbed dies, its watchdog asks for an immediate shutdown, which also
            // frees the server's shared memory (SIGTERM would wait for clients).
            configuration.emergencySignal = SIGQUIT
            process = try ServiceProcess(configuration)
        } catch {
            throw PostgresError(code: .startup, message: "cannot start \(installation.postgres): \(error)")
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        let pidFile = dataDirectory + "/postmaster.pid"
        let serverUID = user?.uid ?? geteuid()
        while true {
            // The server's account owns the data directory: never follow a link planted there.
            if let lines = ClusterFiles.readSmallFile(pidFile)?.split(separator: "\n", omittingEmptySubsequences: false),
               lines.count >= 8, lines[7].trimmingCharacters(in: .whitespaces) == "ready" {
                let fields = lines[6].split(separator: " ")
                let memory = fields.count == 2 ? Int32(fields[0]).flatMap { key in Int32(fields[1]).map { (key, $0) } } : nil
                // Whatever kills the server (a forced teardown, the watchdog, gc) removes the segment too.
                if let memory { ProcessRegistry.addSegment(memory.1, creator: process.pid) }
                return PostgresServer(process: process, dataDirectory: dataDirectory, sharedMemory: memory, serverUID: serverUID)
            }
            if let status = process.exitStatus {
                await process.log.drained(within: .milliseconds(500))
                _ = await process.stop([.kill])
                let lines = process.log.lastLines(12)
                if lines.contains(where: Self.saysDiskFull) {
                    throw ClusterFiles.diskFull("postgres could not write its files in \(dataDirectory)", logLines: lines)
                }
                throw PostgresError(
                    code: .startup, message: "postgres exited during start (\(status))",
                    hint: "see the server's messages below; a bad `settings` entry is the usual cause",
                    logLines: process.log.lastLines(12))
            }
            if clock.now > deadline {
                _ = await process.stop([.signal(SIGQUIT, grace: .seconds(2)), .kill])
                throw PostgresError(code: .startup, message: "postgres was not ready within \(timeout)",
                                    logLines: process.log.lastLines(12))
            }
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    /// How a run's server stops: an immediate shutdown (SIGQUIT), then SIGKILL.
    static let immediateShutdown: [TeardownStep] = [.signal(SIGQUIT, grace: .seconds(5)), .kill]
    /// How a server whose data directory will be copied stops: a clean shutdown with a checkpoint.
    static let cleanShutdown: [TeardownStep] = [.signal(SIGINT, grace: .seconds(30)), .kill]

    /// Stops the server: `fast` is a clean shutdown with a checkpoint (SIGINT, for a
    /// cluster that will be copied); otherwise an immediate one (SIGQUIT). Both end in SIGKILL.
    func stop(fast: Bool) async {
        await process.stop(fast ? Self.cleanShutdown : Self.immediateShutdown)
        removeLeftoverSharedMemory()
        if let sharedMemory { ProcessRegistry.removeSegment(sharedMemory.id) }
    }

    /// A postmaster killed with SIGKILL leaves its SysV segment behind: remove it when
    /// nothing is attached and it is still the one this server created (its key, and
    /// created by the server's account: `postmaster.pid` is that account's to forge).
    private func removeLeftoverSharedMemory() {
        guard let sharedMemory else { return }
        var info = shmid_ds()
        guard shmctl(sharedMemory.id, IPC_STAT, &info) == 0, info.shm_perm.__key == sharedMemory.key,
              info.shm_perm.cuid == serverUID, info.shm_nattch == 0 else { return }
        shmctl(sharedMemory.id, IPC_RMID, nil)
    }

    /// True for a log line that reports a full file system (`ENOSPC`, `EDQUOT`).
    static func saysDiskFull(_ line: String) -> Bool {
        line.contains("No space left on device") || line.contains("Disk quota exceeded")
    }

    static let serverEnvironment: [String: String] = [
        "PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C", "LANG": "C",
    ]
}
