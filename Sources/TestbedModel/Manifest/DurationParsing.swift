extension Duration {
    /// Parses a manifest duration: `250ms`, `2s`, `1m`, `1m30s`, `1.5s`, `100us` (or `100µs`),
    /// `1h`; a bare number means seconds. At most `manifestLimitText` (30 days).
    ///
    /// Returns nil for anything else, including a duration over the limit.
    package init?(manifest text: String) {
        guard case .valid(let value) = Self.parseManifest(text) else { return nil }
        self = value
    }

    /// What parsing a manifest duration gave: a value, a malformed text, or one over the limit.
    enum ManifestParse: Equatable {
        case valid(Duration)
        case malformed
        case overLimit
    }

    /// Parses like ``init(manifest:)`` but says why a text was refused.
    static func parseManifest(_ text: String) -> ManifestParse {
        let text = text.trimmingCharacters(in: .whitespaces)
        // Digits, dots and unit letters only: no "inf", "nan", exponents or hex. The micro
        // sign (U+00B5) and the Greek mu (U+03BC) both spell µs.
        guard !text.isEmpty, text.allSatisfy({ ($0.isASCII && ($0.isNumber || $0 == "." || $0.isLetter)) || isMicro($0) }),
              text.first?.isNumber == true || text.first == "." else { return .malformed }
        if text.allSatisfy({ $0.isNumber || $0 == "." }), let seconds = Double(text) {
            guard seconds <= Self.manifestLimit else { return .overLimit }
            return .valid(.nanoseconds(Int64(seconds * 1e9)))
        }
        var total: Double = 0
        var rest = Substring(text)
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, let value = Double(number) else { return .malformed }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { ($0.isASCII && $0.isLetter) || isMicro($0) }
            rest = rest.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ns": scale = 1
            case "us", "\u{B5}s", "\u{3BC}s": scale = 1e3
            case "ms": scale = 1e6
            case "s": scale = 1e9
            case "m": scale = 60e9
            case "h": scale = 3600e9
            default: return .malformed
            }
            total += value * scale
            guard total / 1e9 <= Self.manifestLimit else { return .overLimit }
        }
        return .valid(.nanoseconds(Int64(total)))
    }

    private static func isMicro(_ character: Character) -> Bool {
        character == "\u{B5}" || character == "\u{3BC}"
    }

    /// The longest duration a manifest may give, in seconds (30 days).
    static let manifestLimit: Double = 30 * 24 * 3600

    /// The limit as a manifest writes it, for messages.
    static let manifestLimitText = "720h (30 days)"

    /// Milliseconds as a Double, for printing and arithmetic.
    package var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}

extension Duration {
    /// A short human form for messages: `200 ms`, `1.5 s`, `250 µs`.
    package var probeDescription: String {
        let ms = milliseconds
        if ms < 1 { return "\(Int((ms * 1000).rounded())) µs" }
        if ms < 1000 { return "\(Int(ms.rounded())) ms" }
        let seconds = (ms / 100).rounded() / 10
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}
