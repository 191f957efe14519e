import TestbedSeed
extension PlannedSeedStep {
    /// Whether the result of this step can be cached by the content of its files.
    ///
    /// A command step is opaque: it may read anything (a migrations folder, the network,
    /// the clock), so its outcome cannot be keyed by content unless the manifest says
    /// `cacheable: true` and lists the `inputs` it depends on, which are then hashed.
    package var isCacheable: Bool {
        if case .command(_, let cacheable, _) = step.source { return cacheable }
        return true
    }
}
