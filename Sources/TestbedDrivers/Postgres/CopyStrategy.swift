/// How `CREATE DATABASE … TEMPLATE` copies a seeded template.
///
/// `FILE_COPY` copies the folder and asks for two checkpoints per copy; copies made side by
/// side share them. `WAL_LOG` copies block by block through shared buffers and writes every
/// block to the WAL as well. With the run's settings (tmpfs, `fsync` off) `FILE_COPY` was
/// faster at every size measured — an empty template, the 12 MB benchmark seed, the 417 MB
/// one — alone and four at a time, so it is used for all (docs/benchmarks.md has both), and
/// `WAL_LOG` is no longer a case: add it back here to measure it again.
enum CopyStrategy: String, Sendable {
    case fileCopy = "FILE_COPY"

    /// The strategy of every copy of a template: resets, spares and clones.
    static let templates: CopyStrategy = .fileCopy
}
