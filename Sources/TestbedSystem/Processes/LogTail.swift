import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A service's output: appended to its log file, kept in memory as the last lines (for
/// error messages), and handed line by line to observers (the terminal, `log` health checks).
package final class LogTail: Sendable {
    /// How many lines are kept in memory.
    package static let keptLines = 200

    private struct State {
        var lines: [String] = []
        var partial = Data()
        var observers: [Int: @Sendable (String) -> Void] = [:]
        var nextToken = 0
        var finished = false
    }

    private let handle: FileHandle?
    private let state = Mutex(State())
    /// Held while lines are handed to observers, so every observer sees them in order.
    /// Observers must not add observers from their callback.
    private let delivery = NSLock()

    /// A nil `handle`: the output is not captured (it goes to this process's own
    /// streams), so there are no lines and the tail counts as read to its end.
    init(handle: FileHandle?, onLine: (@Sendable (String) -> Void)?) {
        self.handle = handle
        state.withLock { state in
            if let onLine { state.observers[-1] = onLine }
            state.finished = handle == nil
        }
    }

    static func openLog(_ path: String) throws -> FileHandle {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ServiceProcessError(message: "cannot open log file \(path): \(errnoText())")
        }
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    /// Reads `fd` on a thread of its own until end of file.
    func startReading(_ fd: Int32, retaining pipe: Pipe) {
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                let chunk = Data(buffer[0..<count])
                try? handle?.write(contentsOf: chunk)
                consume(chunk)
            }
            flushPartial()
            try? pipe.fileHandleForReading.close()
            state.withLock { $0.finished = true }
        }
    }

    private func consume(_ chunk: Data) {
        // Lines reach observers in order: a replaying addObserver cannot interleave.
        delivery.lock()
        defer { delivery.unlock() }
        let (lines, observers) = state.withLock { state -> ([String], [@Sendable (String) -> Void]) in
            state.partial.append(chunk)
            var lines: [String] = []
            while let newline = state.partial.firstIndex(of: 10) {
                let line = state.partial[state.partial.startIndex..<newline]
                lines.append(String(decoding: line, as: UTF8.self))
                state.partial.removeSubrange(state.partial.startIndex...newline)
            }
            state.lines.append(contentsOf: lines)
            if state.lines.count > Self.keptLines { state.lines.removeFirst(state.lines.count - Self.keptLines) }
            return (lines, Array(state.observers.values))
        }
        for line in lines { for observer in observers { observer(line) } }
    }

    private func flushPartial() {
        let rest = state.withLock { state -> Data in
            defer { state.partial = Data() }
            return state.partial
        }
        if !rest.isEmpty { consume(rest + Data([10])) }
    }

    /// The last `count` lines the process printed.
    package func lastLines(_ count: Int = 20) -> [String] {
        state.withLock { Array($0.lines.suffix(count)) }
    }

    /// Calls `observer` for every later line (and, when `replay`, for the kept lines first).
    /// Returns a token for ``removeObserver(_:)``.
    @discardableResult
    package func addObserver(replay: Bool = false, _ observer: @escaping @Sendable (String) -> Void) -> Int {
        delivery.lock()
        defer { delivery.unlock() }
        let (token, old) = state.withLock { state -> (Int, [String]) in
            state.nextToken += 1
            state.observers[state.nextToken] = observer
            return (state.nextToken, replay ? state.lines : [])
        }
        for line in old { observer(line) }
        return token
    }

    /// Stops calling the observer registered under `token`; unknown tokens are ignored.
    package func removeObserver(_ token: Int) {
        state.withLock { _ = $0.observers.removeValue(forKey: token) }
    }

    /// Blocks (at most `timeout`) until the output is read to its end; for synchronous
    /// callers. Async code should use ``drained(within:)``.
    package func finish(timeout: Duration = .milliseconds(500)) {
        let deadline = ContinuousClock.now + timeout
        while !state.withLock({ $0.finished }) && ContinuousClock.now < deadline { usleep(1000) }
    }

    /// Waits until the output is read to its end (the process and everything holding its
    /// output have exited), at most `limit`; then ``lastLines(_:)`` is complete.
    package func drained(within limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while !state.withLock({ $0.finished }) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

}
