import Dispatch
import Foundation
import Testbed

/// Turns SIGINT, SIGTERM and SIGHUP into calls on the main queue, so teardown runs as
/// ordinary code. A second SIGINT forces: every service group gets SIGKILL at once.
final class SignalTrap: @unchecked Sendable {
    // @unchecked: `sources` is written once in init and only read afterwards.
    private var sources: [DispatchSourceSignal] = []

    init(_ handler: @escaping @Sendable (Int32) -> Void) {
        var count = 0
        let lock = NSLock()
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            // A handler, not SIG_IGN: ignored signals stay ignored across exec, so every
            // service would inherit the ignore and shrug off its stop signal.
            Foundation.signal(signal, { _ in })
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler {
                lock.lock()
                count += 1
                let seen = count
                lock.unlock()
                if seen > 1 && signal == SIGINT {
                    ProcessRegistry.killAll()
                    FileHandle.standardError.write(Data("testbed: forced teardown (second interrupt)\n".utf8))
                    exit(130)
                }
                handler(signal)
            }
            source.resume()
            sources.append(source)
        }
    }
}
