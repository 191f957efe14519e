import Foundation
import Synchronization
import Testbed
import TestbedSystem

/// Turns SIGINT, SIGTERM and SIGHUP into calls of `handler` (on a thread of its own), so
/// teardown runs as ordinary code. A second SIGINT forces: every service group gets SIGKILL
/// at once. A signal that came before the trap existed is handed over as it is made.
final class SignalTrap: Sendable {
    init(_ handler: @escaping @Sendable (Int32) -> Void) {
        let count = Mutex(0)
        StopSignals.route { signal in
            let seen = count.withLock { $0 += 1; return $0 }
            if seen > 1 && signal == SIGINT {
                ProcessRegistry.killAll()
                FileHandle.standardError.write(Data("testbed: forced teardown (second interrupt)\n".utf8))
                exit(130)
            }
            handler(signal)
        }
    }
}

/// A command that handles the stop signals itself with a ``SignalTrap`` (every command that
/// starts an environment). Any other gets their default disposition back after parsing.
protocol TrapsStopSignals: SendableMetatype {
    /// True when this invocation installs a ``SignalTrap`` (`verify` only with a manifest).
    var trapsStopSignals: Bool { get }
}

/// SIGINT, SIGTERM and SIGHUP, caught from before `main` until testbed exits.
///
/// A signal must neither kill testbed before its trap exists (the binary loads, parses and
/// reads its manifest for the first 50-100 ms) nor get lost. So:
/// - a constructor blocks them in the first thread before `main` (every thread inherits it);
/// - ``catchAll()``, the first thing `main` does, installs a handler that writes the
///   signal's number into a pipe. It runs wherever the kernel delivers the signal: in
///   Dispatch's main thread, which waits in `sigsuspend` with nothing blocked (this is why a
///   signalfd-based `DispatchSourceSignal` could miss signals), or in a thread that has
///   unblocked them for a spawn (``withUnblockedSignals(_:)``). A handler, not `SIG_IGN`:
///   ignored signals stay ignored across exec, and every service would inherit the ignore;
/// - a thread reads the pipe and calls the routed handler, or keeps the signals until one is
///   routed (``route(_:)``), or — for commands without a trap — ``restoreDefaults()`` ends
///   the process by the pending signal as it would have died.
enum StopSignals {
    static let all = [SIGINT, SIGTERM, SIGHUP]

    /// The pipe's write end, written by the signal handler (set once, before the handler is installed).
    nonisolated(unsafe) static var writeEnd: Int32 = -1

    private struct Routing {
        var handler: (@Sendable (Int32) -> Void)?
        var pending: [Int32] = []
    }
    private static let routing = Mutex(Routing())

    /// Installs the handler and the thread that reads its pipe. Call once, first thing in `main`.
    static func catchAll() {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        // The handler never blocks on a full pipe; the reader does block.
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        writeEnd = fds[1]
        let readEnd = fds[0]
        let thread = Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(readEnd, &byte, 1)
                if count < 0 && errno == EINTR { continue }
                guard count == 1 else { return }
                deliver(Int32(byte))
            }
        }
        thread.name = "testbed-signals"
        thread.start()
        var action = sigaction()
        action.__sigaction_handler.sa_handler = forwardStopSignal
        action.sa_flags = SA_RESTART
        sigemptyset(&action.sa_mask)
        for signal in all { sigaddset(&action.sa_mask, signal) }
        for signal in all { sigaction(signal, &action, nil) }
    }

    /// Calls `handler` for every stop signal from now on, and at once for those that came before.
    static func route(_ handler: @escaping @Sendable (Int32) -> Void) {
        let pending = routing.withLock { routing -> [Int32] in
            routing.handler = handler
            defer { routing.pending = [] }
            return routing.pending
        }
        for signal in pending { handler(signal) }
    }

    /// For commands without a trap: the default disposition again, unblocked in this thread;
    /// a signal that already came ends the process now, as it would have.
    static func restoreDefaults() {
        for signal in all { Glibc.signal(signal, SIG_DFL) }
        var set = sigset_t()
        sigemptyset(&set)
        for signal in all { sigaddset(&set, signal) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        let pending = routing.withLock { $0.pending }
        for signal in pending { raise(signal) }
    }

    private static func deliver(_ signal: Int32) {
        let handler = routing.withLock { routing -> (@Sendable (Int32) -> Void)? in
            if routing.handler == nil { routing.pending.append(signal) }
            return routing.handler
        }
        handler?(signal)
    }
}

/// The signal handler: writes the signal's number into ``StopSignals``' pipe (async-signal-safe:
/// one `write`, errno kept).
private let forwardStopSignal: @convention(c) (Int32) -> Void = { signal in
    let saved = errno
    var byte = UInt8(truncatingIfNeeded: signal)
    _ = write(StopSignals.writeEnd, &byte, 1)
    errno = saved
}

/// Runs in the first thread before `main` (and before any thread of the process exists):
/// blocks the stop signals, so that every thread inherits the block and a signal that comes
/// before ``StopSignals/catchAll()`` waits for it (see ``StopSignals``). Only C calls here:
/// the Swift runtime is not set up yet.
@used @section(".preinit_array")
private let holdStopSignalsBeforeMain: @convention(c) () -> Void = {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    sigaddset(&set, SIGHUP)
    pthread_sigmask(SIG_BLOCK, &set, nil)
}
