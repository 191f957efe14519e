/// How a process ended.
package enum ExitStatus: Sendable, Hashable, CustomStringConvertible {
    /// The process exited by itself; the value is its exit code.
    case exited(Int32)
    /// A signal ended the process; the value is the signal number.
    case signaled(Int32)

    /// True only for exit code 0.
    package var isSuccess: Bool { self == .exited(0) }

    /// The shell convention: the exit code, or 128 + the signal number.
    package var shellCode: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    /// `exit status N`, or `killed by signal N (SIGNAME)`.
    package var description: String {
        switch self {
        case .exited(let code): "exit status \(code)"
        case .signaled(let signal): "killed by signal \(signal) (\(signalName(signal)))"
        }
    }
}

/// The conventional name of a signal number, e.g. `SIGTERM`.
package func signalName(_ signal: Int32) -> String {
    SignalNames.byNumber[signal] ?? "signal \(signal)"
}

package enum SignalNames {
    static let byName: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
        "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "CHLD": 17, "CONT": 18,
        "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "WINCH": 28,
    ]
    static let byNumber: [Int32: String] = Dictionary(uniqueKeysWithValues: byName.map { ($1, "SIG" + $0) })

    /// Parses `SIGTERM`, `TERM` or `15`.
    package static func parse(_ text: String) -> Int32? {
        if let number = Int32(text), number > 0, number < 65 { return number }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        return byName[name]
    }
}
