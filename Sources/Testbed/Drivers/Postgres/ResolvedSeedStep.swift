/// A seed step with its files resolved to absolute paths and, for a command step, its
/// command resolved to argv: what a database driver needs to apply (and cache) it.
public struct ResolvedSeedStep: Sendable {
    public var step: SeedStep
    /// The step's files (`SeedStep.files`), as absolute paths, in the same order.
    public var absolutePaths: [String]
    /// For `.command`: the argv ready to spawn; nil for other kinds.
    public var commandArgv: [String]?

    public init(step: SeedStep, absolutePaths: [String], commandArgv: [String]? = nil) {
        self.step = step
        self.absolutePaths = absolutePaths
        self.commandArgv = commandArgv
    }

    /// Whether the result of this step can be cached by the content of its files.
    ///
    /// A command step is opaque: it may read anything (a migrations folder, the network,
    /// the clock), so its outcome cannot be keyed by content unless the manifest says
    /// `cacheable: true` and lists the `inputs` it depends on, which are then hashed.
    public var isCacheable: Bool {
        if case .command(_, let cacheable, _) = step.source { return cacheable }
        return true
    }
}
