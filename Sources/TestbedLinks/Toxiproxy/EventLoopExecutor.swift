import NIOCore

/// A task executor that runs every job on one SwiftNIO event loop.
///
/// The Toxiproxy endpoint serves its requests with it, on the endpoint's own event loop
/// (``ToxiproxyServer/eventLoopGroup``): a process whose concurrency pool is busy — two
/// threads on a small machine, held by blocking calls in a test process — still answers a
/// fault command at once. Jobs must not block: the loop also carries the endpoint's I/O, so
/// they hand blocking work to ``BlockingWork`` and go on here with its result.
final class EventLoopExecutor: TaskExecutor {
    /// The loop every job runs on.
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}
