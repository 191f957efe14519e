import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Where Testbed runs work that blocks its thread: libpq round trips, file copies,
/// `/proc` polls, waits on another process. The one rule: such work never runs on
/// Swift's cooperative pool nor on Dispatch's global queues, but on these threads.
///
/// Why: on Linux the cooperative pool has one thread per core (two on small CI
/// machines) and Dispatch's global queues share their workers with it, so one blocking
/// `CREATE DATABASE` or a 20 MB copy there stalls every other task — the health probes
/// that wait for a server, the checkouts a ``DatabasePool`` answers in microseconds.
///
/// Three doors to the same threads:
/// - ``run(_:)``: `await` a synchronous closure;
/// - ``executor``: a `TaskExecutor` for `withTaskExecutorPreference` /
///   `Task(executorPreference:)`, when async code calls blocking functions in between;
/// - ``forEach(_:lanes:_:)``: a synchronous fan-out over a list (two lanes of file copies).
///
/// Threads are made on demand (one per concurrently blocked job, so a blocked job never
/// waits for another) and end after 10 s idle.
package enum BlockingWork {
    /// Runs `body` on a blocking-work thread and returns its result.
    package static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            threads.submit { continuation.resume(returning: body()) }
        }
    }

    /// Runs `body` on every item of `items`, in order, on `lanes` threads: each takes the
    /// next item when done with its last (so, with the largest items first, one long item
    /// does not hold up a lane's share). One lane is the calling thread (already a
    /// blocking-work thread, or a caller that may block). After a failure no lane takes
    /// another item; returns when all have stopped, throwing the first failure.
    package static func forEach<Item: Sendable, Failure: Error>(
        _ items: [Item], lanes: Int, _ body: @escaping @Sendable (Item) throws(Failure) -> Void
    ) throws(Failure) {
        let next = Atomic(0)
        let failure = Mutex<Failure?>(nil)
        parallel(lanes: min(lanes, items.count)) {
            while failure.withLock({ $0 == nil }) {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < items.count else { return }
                do throws(Failure) {
                    try body(items[index])
                } catch {
                    failure.withLock { $0 = $0 ?? error }
                }
            }
        }
        if let first = failure.withLock({ $0 }) { throw first }
    }

    /// Runs `body` on `lanes` threads, the calling one and blocking-work threads; returns
    /// when all have returned.
    private static func parallel(lanes: Int, _ body: @escaping @Sendable () -> Void) {
        guard lanes > 1 else { return body() }
        let done = DispatchSemaphore(value: 0)
        for _ in 1..<lanes {
            threads.submit {
                body()
                done.signal()
            }
        }
        body()
        for _ in 1..<lanes { done.wait() }
    }

    /// A task executor whose jobs run on blocking-work threads.
    package static let executor = BlockingExecutor()

    static let threads = BlockingThreads()
}

/// The task executor of ``BlockingWork``: every job is run on one of its threads.
package final class BlockingExecutor: TaskExecutor {
    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        BlockingWork.threads.submit { job.runSynchronously(on: executor) }
    }
}

/// The threads behind ``BlockingWork``: a queue of jobs and as many threads as there are
/// jobs waiting, reused while they come.
///
/// `@unchecked Sendable`: `pending` and `idle` are only touched with `condition` locked.
final class BlockingThreads: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [@Sendable () -> Void] = []
    private var idle = 0

    /// Queues `job`; a new thread starts when no idle one is left for it.
    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        pending.append(job)
        let spawn = pending.count > idle
        if !spawn { condition.signal() }
        condition.unlock()
        if spawn { Thread.detachNewThread { [self] in work() } }
    }

    private func work() {
        condition.lock()
        while true {
            while pending.isEmpty {
                idle += 1
                let woken = condition.wait(until: Date(timeIntervalSinceNow: 10))
                idle -= 1
                if !woken && pending.isEmpty {
                    condition.unlock()
                    return
                }
            }
            let job = pending.removeFirst()
            condition.unlock()
            job()
            condition.lock()
        }
    }
}
