import CSQLite
import Foundation
import Synchronization
import TestbedSystem

extension SQLiteDatabase {
    /// Runs `body` — blocking calls on this connection — so that cancelling the task
    /// interrupts the statement it runs (`sqlite3_interrupt`, repeated every 200 ms until
    /// `body` returns: an interrupt that comes between two statements is not kept). The
    /// statement then fails with an `interrupted` ``SQLiteError`` instead of blocking its
    /// thread (a recursive query that never ends, for one). `body` runs on a
    /// ``BlockingWork`` thread, never on the concurrency pool.
    func interruptible<T>(_ body: () throws -> T) async throws -> T {
        try await withTaskExecutorPreference(BlockingWork.executor) {
            guard let handle else { return try body() }
            let interrupter = StatementInterrupter(handle)
            defer { interrupter.finish() }
            return try await withTaskCancellationHandler {
                try body()
            } onCancel: {
                interrupter.start()
            }
        }
    }
}

/// Calls `sqlite3_interrupt` on a connection from a thread of its own until told to stop.
private final class StatementInterrupter: @unchecked Sendable {
    // @unchecked: `handle` is only used under `state`'s lock, and never after ``finish()``
    // (the connection may be closed right after), so no call reaches a closed connection.
    private let handle: OpaquePointer
    private let state = Mutex((done: false, started: false))

    init(_ handle: OpaquePointer) {
        self.handle = handle
    }

    func start() {
        let first = state.withLock { state -> Bool in
            defer { state.started = true }
            return !state.done && !state.started
        }
        guard first else { return }
        Thread.detachNewThread { [self] in
            while state.withLock({ state -> Bool in
                if !state.done { sqlite3_interrupt(handle) }
                return !state.done
            }) {
                usleep(200_000)
            }
        }
    }

    func finish() {
        state.withLock { $0.done = true }
    }
}
