import Foundation
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
/// - ``parallel(lanes:_:)``: a synchronous fan-out (two lanes of file copies).
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

    /// Runs `body(lane, lanes)` for every lane in `0..<lanes`: lane 0 on the calling
    /// thread (already a blocking-work thread, or a caller that may block), the others on
    /// blocking-work threads; returns when all have returned.
    package static func parallel(lanes: Int, _ body: @escaping @Sendable (_ lane: Int, _ lanes: Int) -> Void) {
        guard lanes > 1 else { return body(0, 1) }
        let done = DispatchSemaphore(value: 0)
        for lane in 1..<lanes {
            threads.submit {
                body(lane, lanes)
                done.signal()
            }
        }
        body(0, lanes)
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
