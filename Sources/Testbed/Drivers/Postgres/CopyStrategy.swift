/// How `CREATE DATABASE … TEMPLATE` copies a seeded template: chosen by the template's size.
///
/// `FILE_COPY` copies the folder but needs two checkpoints per copy, and copies cannot
/// overlap them: tens of milliseconds each whatever the size, so a small template's copies
/// are bound by checkpoints. `WAL_LOG` copies block by block and writes every block to the
/// WAL: no checkpoint, and copies run side by side, but the WAL grows by the template's
/// size per copy. Small templates use `WAL_LOG`; from ``walLogLimit`` on, the WAL written
/// would cost more than the checkpoints (docs/benchmarks.md has both measured).
enum CopyStrategy: String, Sendable {
    case walLog = "WAL_LOG"
    case fileCopy = "FILE_COPY"

    /// The template size from which `FILE_COPY` is used.
    static let walLogLimit: Int64 = 64 << 20

    init(templateSize: Int64) {
        self = templateSize < Self.walLogLimit ? .walLog : .fileCopy
    }
}
