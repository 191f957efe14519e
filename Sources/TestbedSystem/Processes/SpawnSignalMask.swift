#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` (a `Process.run()`) with no signal blocked on the calling thread.
///
/// Foundation.Process spawns with posix_spawn and does not reset the signal mask, so a
/// child inherits the mask of whichever thread spawned it — and Dispatch and Swift
/// concurrency threads block most signals. A service spawned from such a thread would
/// never see SIGTERM or SIGINT. Unblocking only around the spawn keeps the window in
/// which this thread itself can take a signal to the length of one posix_spawn.
package func withUnblockedSignals<T>(_ body: () throws -> T) rethrows -> T {
    var empty = sigset_t()
    var previous = sigset_t()
    sigemptyset(&empty)
    pthread_sigmask(SIG_SETMASK, &empty, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    return try body()
}
