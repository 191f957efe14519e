import Foundation
import Synchronization

/// Administration connections (to `postgres`) kept open between clones and drops, which
/// several tasks run at once: a new connection costs a backend start, a good part of a
/// clone on a busy machine. Each connection serves one caller at a time — taken off the
/// idle list, given back after it worked — so the list may hold up to ``limit``.
final class AdminConnections: Sendable {
    /// Idle connections kept at most; more at once are opened and closed as needed.
    static let limit = 8

    private let connector: ClusterConnector
    private let idle = Mutex<[Idle]>([])
    private let closed = Mutex(false)

    /// A connection on the idle list: no task uses it until it is taken off.
    private struct Idle: @unchecked Sendable {
        let connection: PGConnection
    }

    init(connector: ClusterConnector) {
        self.connector = connector
    }

    /// Runs `body` with a connection to `postgres` (to `template1` when `avoiding` is
    /// `postgres`: a database cannot be dropped or made from its own session). A kept
    /// connection the server closed meanwhile is replaced once. Blocking.
    func run<T>(avoiding database: String, _ body: (PGConnection) throws(PostgresError) -> T) throws(PostgresError) -> T {
        if database == "postgres" {
            let admin = try connector.connect("template1")
            defer { admin.close() }
            return try body(admin)
        }
        if let kept = idle.withLock({ $0.popLast() })?.connection {
            do {
                let result = try body(kept)
                giveBack(kept)
                return result
            } catch where error.code == .connection {
                kept.close()
            } catch {
                kept.close()
                throw error
            }
        }
        let fresh = try connector.connect("postgres")
        do {
            let result = try body(fresh)
            giveBack(fresh)
            return result
        } catch {
            fresh.close()
            throw error
        }
    }

    private func giveBack(_ connection: PGConnection) {
        let kept = Idle(connection: connection)
        let keep = closed.withLock { closed in
            !closed && idle.withLock { list in
                guard list.count < Self.limit else { return false }
                list.append(kept)
                return true
            }
        }
        if !keep { connection.close() }
    }

    /// Closes the idle connections and keeps working: after a restart of the server they
    /// are all broken.
    func dropIdle() {
        for kept in idle.withLock({ list in defer { list = [] }; return list }) { kept.connection.close() }
    }

    /// Closes the idle connections; connections in use are closed when given back.
    func close() {
        closed.withLock { $0 = true }
        for kept in idle.withLock({ list in defer { list = [] }; return list }) { kept.connection.close() }
    }
}
