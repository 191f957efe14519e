import Foundation
import NIOCore
import Synchronization
@testable import Testbed
#if canImport(Glibc)
import Glibc
#endif
@testable import TestbedSystem

/// Measures how late a task scheduled every `period` on `loop` runs, from its creation to
/// ``stop()``: the longest time the loop's thread was held by something else. A loop whose
/// jobs never block runs such a task within about a millisecond of its deadline.
final class LoopLatencyWatch: Sendable {
    private let loop: any EventLoop
    private let period: TimeAmount
    private let state = Mutex<(worst: Int64, ticks: Int, running: Bool)>((0, 0, true))

    init(_ loop: any EventLoop, every period: TimeAmount = .milliseconds(5)) {
        self.loop = loop
        self.period = period
        schedule()
    }

    private func schedule() {
        let due = NIODeadline.now() + period
        loop.scheduleTask(deadline: due) { [self] in
            let late = (NIODeadline.now() - due).nanoseconds
            let again = state.withLock { state -> Bool in
                state.worst = max(state.worst, late)
                state.ticks += 1
                return state.running
            }
            if again { schedule() }
        }
    }

    /// Stops measuring (after one more tick, so a loop blocked right now is seen) and returns
    /// the worst delay in milliseconds and the number of ticks measured.
    func stop() async throws -> (worstMilliseconds: Double, ticks: Int) {
        try await loop.submit {}.get()
        try await loop.scheduleTask(in: period) {}.futureResult.get()
        let (worst, ticks) = state.withLock { state in
            state.running = false
            return (state.worst, state.ticks)
        }
        return (Double(worst) / 1e6, ticks)
    }
}

/// Loopback TCP connections held open, so that the kernel's socket tables (`/proc/net/tcp`)
/// are as long as on a busy machine: every read of them then takes measurable time.
final class SocketPile {
    private var descriptors: [Int32] = []

    /// Opens `pairs` connections (two table entries each) to a listener of its own.
    init(pairs: Int) throws {
        let listener = try PortAllocator.bindLoopback(port: 0)
        descriptors.append(listener)
        guard listen(listener, 128) == 0 else { throw PortAllocator.Errno(code: errno) }
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        for _ in 0..<pairs {
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard client >= 0 else { throw PortAllocator.Errno(code: errno) }
            descriptors.append(client)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) }
            }
            guard connected == 0 else { throw PortAllocator.Errno(code: errno) }
            let server = accept(listener, nil, nil)
            guard server >= 0 else { throw PortAllocator.Errno(code: errno) }
            descriptors.append(server)
        }
    }

    deinit {
        for fd in descriptors { close(fd) }
    }
}
