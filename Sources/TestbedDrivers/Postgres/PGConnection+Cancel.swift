import CLibPQ
import Foundation
import Synchronization

extension PGConnection {
    /// Runs `body` — blocking calls on this connection — so that cancelling the task
    /// cancels what the server runs for it: libpq's cancel request (`PQcancel`, sent over
    /// a connection of its own from a thread of its own), repeated every 200 ms until
    /// `body` returns, so a request that arrives before the statement does is not lost.
    /// The statement then fails with SQLSTATE 57014 (`canceling statement due to user
    /// request`), and `body` returns with that error instead of blocking its thread.
    func cancellable<T>(_ body: () throws -> T) async throws -> T {
        let canceller = try QueryCanceller(live())
        defer { canceller.finish() }
        return try await withTaskCancellationHandler {
            try body()
        } onCancel: {
            canceller.start()
        }
    }
}

/// A libpq cancel handle (`PGcancel`), used from the thread that cancels.
private final class QueryCanceller: @unchecked Sendable {
    // @unchecked: `handle` is set once and freed in deinit; PQcancel may be called from
    // any thread while the connection is in use (libpq documents it for exactly that).
    private struct State {
        var done = false
        var cancelling = false
    }
    private let handle: OpaquePointer?
    private let state = Mutex(State())

    init(_ connection: OpaquePointer) {
        handle = PQgetCancel(connection)
    }

    deinit {
        if let handle { PQfreeCancel(handle) }
    }

    /// Starts sending cancel requests until ``finish()``.
    func start() {
        let first = state.withLock { state -> Bool in
            defer { state.cancelling = true }
            return !state.done && !state.cancelling
        }
        guard first else { return }
        Thread.detachNewThread { [self] in
            while !state.withLock({ $0.done }) {
                if let handle {
                    var message = [CChar](repeating: 0, count: 256)
                    _ = PQcancel(handle, &message, Int32(message.count))
                }
                usleep(200_000)
            }
        }
    }

    /// The statement has returned: no more cancel requests.
    func finish() {
        state.withLock { $0.done = true }
    }
}
