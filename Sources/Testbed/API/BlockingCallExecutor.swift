import Dispatch

/// A task executor on Dispatch worker threads, for nonisolated async functions that block
/// their thread (libpq calls, file copies).
///
/// The cooperative pool has one thread per core (two on small CI machines): a blocking
/// `CREATE DATABASE` there would stall every other task, including the checkouts a
/// ``DatabasePool`` must answer in microseconds. Work run with this executor as the task's
/// preference blocks a Dispatch worker instead.
final class BlockingCallExecutor: TaskExecutor {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label, attributes: .concurrent)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
