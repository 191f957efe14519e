/// A small seeded generator (SplitMix64): the same seed gives the same toxicity draws,
/// jitter and slicer sizes, so a failing test replays the same way.
struct LinkRandom: RandomNumberGenerator {
    private var state: UInt64

    /// The generator for connection `number` of a link (or a fault) seeded with `seed`.
    init(seed: UInt64, stream number: UInt64) {
        state = seed ^ (number &* 0x9E37_79B9_7F4A_7C15)
        _ = next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform draw in 0..<1.
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
