import Synchronization

/// A point in a service's life (started, healthy, completed, stopped) that others wait for.
///
/// It is reached once, or fails once; waiting after either returns or throws at once.
final class Milestone: Sendable {
    private enum Outcome { case reached, failed(any Error) }
    private struct State {
        var outcome: Outcome?
        var waiters: [CheckedContinuation<Void, any Error>] = []
    }
    private let state = Mutex(State())

    func reach() { settle(.reached) }
    func fail(_ error: any Error) { settle(.failed(error)) }

    var isReached: Bool {
        state.withLock { if case .reached = $0.outcome { true } else { false } }
    }

    private func settle(_ outcome: Outcome) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            guard state.outcome == nil else { return [] }
            state.outcome = outcome
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters {
            switch outcome {
            case .reached: waiter.resume()
            case .failed(let error): waiter.resume(throwing: error)
            }
        }
    }

    func wait() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { state -> Outcome? in
                if let outcome = state.outcome { return outcome }
                state.waiters.append(continuation)
                return nil
            }
            switch outcome {
            case .reached: continuation.resume()
            case .failed(let error): continuation.resume(throwing: error)
            case nil: break
            }
        }
    }
}
