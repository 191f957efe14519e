import NIOCore

extension LinkFlow {
    /// Passes segments (a chunk and when it is due) through one fault.
    ///
    /// `slow_close` and `reset_peer` leave data alone (they act on the close and through a
    /// timer); `timeout` drops everything; `limit_data` cuts at its limit and sets `closeAfter`.
    static func apply(_ state: FaultState, to segments: [(ByteBuffer, NIODeadline)],
                      closeAfter: inout Bool) -> [(ByteBuffer, NIODeadline)] {
        switch state.fault.kind {
        case .latency(let latency, let jitter):
            return segments.map { buffer, due in
                var delay = latency.wholeNanoseconds
                let spread = jitter.wholeNanoseconds
                if spread > 0 { delay += Int64(state.random.unit() * Double(2 * spread + 1)) - spread }
                return (buffer, due + .nanoseconds(max(0, delay)))
            }

        case .bandwidth(let rate) where rate > 0:
            let bytesPerSecond = Int64(rate) * 1024
            let piece = Int(max(1, bytesPerSecond / 50))  // 20 ms worth per segment keeps the pace smooth
            var out: [(ByteBuffer, NIODeadline)] = []
            for (original, due) in segments {
                var buffer = original
                while buffer.readableBytes > 0, let slice = buffer.readSlice(length: min(piece, buffer.readableBytes)) {
                    let start = max(due, state.bandwidthFree)
                    let end = start + .nanoseconds(Int64(slice.readableBytes) * 1_000_000_000 / bytesPerSecond)
                    state.bandwidthFree = end
                    out.append((slice, end))
                }
            }
            return out

        case .slicer(let average, let variation, let delay):
            var out: [(ByteBuffer, NIODeadline)] = []
            let step = TimeAmount.nanoseconds(delay.wholeNanoseconds)
            for (original, due) in segments {
                var buffer = original
                while buffer.readableBytes > 0 {
                    var size = average
                    if variation > 0 { size += Int(state.random.next() % UInt64(2 * variation + 1)) - variation }
                    guard let slice = buffer.readSlice(length: max(1, min(size, buffer.readableBytes))) else { break }
                    // One delay after the previous slice of this direction, whichever chunk it came from.
                    let at = max(due, state.sliceFree)
                    out.append((slice, at))
                    state.sliceFree = at + step
                }
            }
            return out

        case .limitData(let bytes):
            var out: [(ByteBuffer, NIODeadline)] = []
            for (original, due) in segments {
                var buffer = original
                let remaining = bytes - state.passed
                guard remaining > 0 else {
                    closeAfter = true
                    break
                }
                if buffer.readableBytes > remaining, let cut = buffer.readSlice(length: remaining) { buffer = cut }
                state.passed += buffer.readableBytes
                out.append((buffer, due))
                if state.passed >= bytes {
                    closeAfter = true
                    break
                }
            }
            return out

        case .timeout:
            return []

        case .bandwidth, .slowClose, .resetPeer, .http:  // HTTP faults never reach a TCP link
            return segments
        }
    }
}
