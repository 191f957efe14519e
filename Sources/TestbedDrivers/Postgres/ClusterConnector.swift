import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

/// How the driver reaches its cluster: the Unix socket, as the cluster's user. A value,
/// so background tasks can open connections of their own.
struct ClusterConnector: Sendable {
    var socketDirectory: String
    var port: Int
    var user: String
    var password: String?

    func connect(_ database: String) throws(PostgresError) -> PGConnection {
        try PGConnection(socketDirectory: socketDirectory, port: port, user: user, database: database,
                         password: password)
    }

    /// Ends every other session on `database` and returns once their processes are gone.
    ///
    /// DROP DATABASE, ALTER DATABASE ... RENAME and CREATE DATABASE ... TEMPLATE wait
    /// for the sessions of the database to end in steps of 100 ms; waiting here, in
    /// steps of 0.2 ms, spares that.
    func endSessions(on database: String, admin: PGConnection) throws(PostgresError) {
        let rows = try admin.query("""
            SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity \
            WHERE datname = $1 AND pid <> pg_backend_pid()
            """, parameters: [database])
        let pids = rows.compactMap { $0[0].flatMap { Int32($0) } }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(5)
        for pid in pids {
            while Self.isAlive(pid) && clock.now < deadline { usleep(200) }
        }
    }

    /// True while process `pid` exists and is not a zombie.
    static func isAlive(_ pid: Int32) -> Bool {
        ProcessTable.isAlive(pid)
    }
}
