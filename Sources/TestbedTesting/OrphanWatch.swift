import Foundation
import Synchronization
import Testbed
#if canImport(Glibc)
import Glibc
#endif

/// Stops every environment of the registered registries when the test process is orphaned:
/// its parent (`swift test`, killed with SIGKILL) is gone and it was re-parented.
///
/// `swift test` runs the test binary in a process group of its own, so killing `swift test`
/// leaves the runner alive, holding its environments until its current test ends — forever
/// for a hung test. A background thread compares `getppid()` with the parent seen at the
/// first start every 250 ms (PR_SET_PDEATHSIG is no use here: it fires when the parent
/// *thread* exits, and must be set by the child). When it changes, the environments are
/// stopped; the tests still running then fail instead of holding servers. Set
/// `TESTBED_KEEP_WHEN_ORPHANED=1` to opt out.
enum OrphanWatch {
    private static let state = Mutex<(started: Bool, registries: [EnvironmentRegistry])>((false, []))

    /// Watches for `registry`'s environments from now on (starting the thread on first use).
    static func watch(_ registry: EnvironmentRegistry) {
        guard ProcessInfo.processInfo.environment["TESTBED_KEEP_WHEN_ORPHANED"] != "1" else { return }
        let start = state.withLock { state -> Bool in
            if !state.registries.contains(where: { $0 === registry }) { state.registries.append(registry) }
            defer { state.started = true }
            return !state.started
        }
        guard start else { return }
        let parent = getppid()
        let thread = Thread {
            while getppid() == parent { usleep(250_000) }
            let registries = state.withLock { $0.registries }
            let done = DispatchSemaphore(value: 0)
            Task {
                for registry in registries { await registry.stopAll() }
                done.signal()
            }
            done.wait()
        }
        thread.name = "testbed-orphan-watch"
        thread.start()
    }
}
