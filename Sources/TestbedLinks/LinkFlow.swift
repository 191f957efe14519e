import NIOCore
import TestbedModel

/// One direction of a connection (upstream: client → service; downstream: service →
/// client): reads from the source channel, passes each chunk through the active faults in
/// stacking order, and writes it to the destination when it is due.
///
/// Bytes are never reordered: every segment is due no earlier than the one before it.
/// Backpressure: the source is read only while the destination is writable and fewer than
/// ``highWater`` bytes wait in the queue. Lives on the connection's event loop.
final class LinkFlow {
    /// What waits in the queue.
    enum Action {
        case data(ByteBuffer)
        /// The source ended: half-close the destination (a FIN), after any slow_close delay.
        case shutdown
        /// `limit_data` was reached: half-close the destination, then close the connection.
        case closeConnection
    }

    struct Segment {
        var action: Action
        var due: NIODeadline
    }

    /// Bytes queued before the flow stops reading its source.
    static let highWater = 1 << 20

    let stream: Fault.Stream
    unowned let connection: LinkConnection
    private var queue = CircularBuffer<Segment>()
    private var queuedBytes = 0
    private var lastDue = NIODeadline.uptimeNanoseconds(0)
    private var timer: Scheduled<Void>?
    private var timerDue: NIODeadline?
    private var needsFlush = false
    private var sourceEnded = false
    /// `limit_data` cut the flow: whatever the source sends from now on is dropped.
    private var limited = false
    /// The destination was half-closed: this direction is over.
    private(set) var finished = false
    /// NIO asked the source to read while the flow could take nothing; issued by ``readMore()``.
    private var readHeld = false

    init(stream: Fault.Stream, connection: LinkConnection) {
        self.stream = stream
        self.connection = connection
    }

    private var sourceSide: LinkSideHandler.Side { stream == .upstream ? .client : .server }
    private var destinationSide: LinkSideHandler.Side { stream == .upstream ? .server : .client }

    /// A chunk arrived from the source.
    func receive(_ data: ByteBuffer) {
        let faults = connection.faults(for: stream)
        guard !finished, !limited, !connection.closed, let destination = connection.context(of: destinationSide) else {
            return
        }
        if faults.isEmpty && queue.isEmpty {
            destination.write(NIOAny(data), promise: nil)
            needsFlush = true
            return
        }
        var segments = [(data, NIODeadline.now())]
        var closeAfter = false
        for state in faults {
            segments = Self.apply(state, to: segments, closeAfter: &closeAfter)
        }
        for (buffer, due) in segments where buffer.readableBytes > 0 {
            enqueue(.data(buffer), due: due)
        }
        if closeAfter {
            limited = true
            enqueue(.closeConnection, due: lastDue)
        }
        drain()
    }

    /// The source's read burst ended: flush what was written straight through.
    func readComplete() {
        if needsFlush {
            needsFlush = false
            connection.context(of: destinationSide)?.flush()
        }
    }

    /// NIO wants the source to read (after a read burst, as `autoRead` does): let it when the
    /// destination and the queue have room, else hold the read until ``readMore()``.
    func readRequested(_ source: ChannelHandlerContext) {
        if mayRead { source.read() } else { readHeld = true }
    }

    private var mayRead: Bool {
        guard !sourceEnded, !finished, !connection.closed, connection.server != nil, queuedBytes < Self.highWater,
              let destination = connection.context(of: destinationSide) else { return false }
        return destination.channel.isWritable
    }

    /// The source sent its FIN: pass it on once the queue is through, after any slow_close.
    func sourceClosed() {
        guard !sourceEnded, !finished else { return }
        sourceEnded = true
        readComplete()
        readHeld = false
        var delay = Duration.zero
        for state in connection.faults(for: stream) {
            if case .slowClose(let extra) = state.fault.kind { delay += extra }
        }
        enqueue(.shutdown, due: .now() + .nanoseconds(delay.wholeNanoseconds))
        drain()
    }

    /// Issues a held read once the destination and the queue have room again.
    func readMore() {
        guard readHeld, mayRead, let source = connection.context(of: sourceSide) else { return }
        readHeld = false
        source.read()
    }

    /// Writes every segment that is due, then waits for the next one.
    func drain() {
        guard !connection.closed, let destination = connection.context(of: destinationSide) else { return }
        let now = NIODeadline.now()
        var wrote = false
        while let head = queue.first, head.due <= now {
            queue.removeFirst()
            switch head.action {
            case .data(let buffer):
                queuedBytes -= buffer.readableBytes
                destination.write(NIOAny(buffer), promise: nil)
                wrote = true
            case .shutdown:
                finished = true
                afterWrites(destination) { [connection] in
                    destination.close(mode: .output, promise: nil)
                    connection.flowFinished()
                }
                return
            case .closeConnection:
                finished = true
                afterWrites(destination) { [connection] in
                    let closed = destination.eventLoop.makePromise(of: Void.self)
                    closed.futureResult.assumeIsolated().whenComplete { _ in connection.close() }
                    destination.close(mode: .output, promise: closed)
                }
                return
            }
        }
        if wrote { destination.flush() }
        if let head = queue.first, timerDue.map({ head.due < $0 }) ?? true {
            timer?.cancel()
            timerDue = head.due
            timer = destination.eventLoop.assumeIsolated().scheduleTask(deadline: head.due) { [self] in
                timer = nil
                timerDue = nil
                drain()
            }
        }
        readMore()
    }

    /// Runs `body` once every write queued on `destination` reached the kernel. A half-close
    /// of a channel whose peer already half-closed becomes a full close in NIO, which would
    /// drop writes still pending: an empty write's promise completes after all of them.
    private func afterWrites(_ destination: ChannelHandlerContext, _ body: @escaping () -> Void) {
        let written = destination.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenComplete { _ in body() }
        destination.writeAndFlush(NIOAny(ByteBuffer()), promise: written)
    }

    /// The destination is gone: drop what waits for it; this direction is over.
    func abandon() {
        cancel()
        sourceEnded = true
        finished = true
    }

    /// Drops the queue and the timer (the connection is closing).
    func cancel() {
        timer?.cancel()
        timer = nil
        timerDue = nil
        queue.removeAll()
        queuedBytes = 0
    }

    private func enqueue(_ action: Action, due: NIODeadline) {
        let due = max(due, lastDue)
        lastDue = due
        if case .data(let buffer) = action { queuedBytes += buffer.readableBytes }
        queue.append(Segment(action: action, due: due))
    }
}
