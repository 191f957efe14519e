extension Duration {
    /// Parses a manifest duration: `250ms`, `2s`, `1m`, `1m30s`, `1.5s`, `100us`, `1h`;
    /// a bare number means seconds.
    ///
    /// Returns nil for anything else.
    public init?(manifest text: String) {
        let text = text.trimmingCharacters(in: .whitespaces)
        // Digits, dots and unit letters only: no "inf", "nan", exponents or hex.
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0.isLetter) }),
              text.first?.isNumber == true || text.first == "." else { return nil }
        if let seconds = Double(text) {
            guard seconds <= Self.manifestLimit else { return nil }
            self = .nanoseconds(Int64(seconds * 1e9))
            return
        }
        var total: Double = 0
        var rest = Substring(text)
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isLetter || $0 == "µ" }
            rest = rest.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ns": scale = 1
            case "us", "µs": scale = 1e3
            case "ms": scale = 1e6
            case "s": scale = 1e9
            case "m": scale = 60e9
            case "h": scale = 3600e9
            default: return nil
            }
            total += value * scale
        }
        guard total / 1e9 <= Self.manifestLimit else { return nil }
        self = .nanoseconds(Int64(total))
    }

    /// The longest duration a manifest may give, in seconds (30 days).
    static let manifestLimit: Double = 30 * 24 * 3600

    /// Milliseconds as a Double, for printing and arithmetic.
    public var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}

import Foundation
