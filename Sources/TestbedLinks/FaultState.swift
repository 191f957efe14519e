import NIOCore
import TestbedModel

/// One fault as one connection sees it: whether its toxicity draw hit this connection, its
/// random generator, and what it counts (bandwidth budget, bytes passed, its timer).
///
/// Lives on the connection's event loop.
final class FaultState {
    /// What a fault's timer does when it fires.
    enum TimerAction { case close, reset }

    private(set) var fault: Fault
    /// True when the toxicity draw hit this connection.
    private(set) var active: Bool
    var random: LinkRandom
    /// When the bandwidth fault's budget is next free.
    var bandwidthFree = NIODeadline.uptimeNanoseconds(0)
    /// When the slicer's next slice may go: one `delay` after the previous slice.
    var sliceFree = NIODeadline.uptimeNanoseconds(0)
    /// Bytes `limit_data` let through.
    var passed = 0
    private var timer: Scheduled<Void>?
    private var timerArmed = false

    init(_ fault: Fault, seed: UInt64, connection: UInt64) {
        self.fault = fault
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a of the name: each fault draws its own numbers
        for byte in fault.name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        random = LinkRandom(seed: seed ^ hash, stream: connection)
        active = false
        active = draw(fault.toxicity)
    }

    /// Takes a new value of the same fault; a new toxicity is drawn again, new timer
    /// settings restart the timer.
    func update(_ new: Fault) {
        if new.toxicity != fault.toxicity { active = draw(new.toxicity) }
        if new.kind != fault.kind {
            cancelTimer()
        }
        if !active { cancelTimer() }
        fault = new
    }

    private func draw(_ toxicity: Double) -> Bool {
        if toxicity >= 1 { return true }
        if toxicity <= 0 { return false }
        return random.unit() < toxicity
    }

    /// Starts the timer of an active `timeout` (close) or `reset_peer` (reset), once; a
    /// `reset_peer` of zero fires at once.
    func armTimer(on loop: any EventLoop, fire: @escaping (TimerAction) -> Void) {
        guard active, !timerArmed else { return }
        let action: TimerAction
        let delay: Duration
        switch fault.kind {
        case .timeout(let after) where after > .zero: (action, delay) = (.close, after)
        case .resetPeer(let after): (action, delay) = (.reset, after)
        default: return
        }
        timerArmed = true
        if delay == .zero { return fire(action) }
        timer = loop.assumeIsolated().scheduleTask(in: .nanoseconds(delay.wholeNanoseconds)) { fire(action) }
    }

    func cancelTimer() {
        timer?.cancel()
        timer = nil
        timerArmed = false
    }
}
