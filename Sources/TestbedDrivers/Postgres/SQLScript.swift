/// An SQL script split into statements the way the server splits it, so an error can be
/// traced back to a line of the file.
///
/// Aware of `'...'` (with `''`), `E'...'` (backslash escapes), `"identifiers"`,
/// `$tag$...$tag$` dollar quoting, `--` and nested `/* */` comments, and parentheses
/// (a `;` inside them, as in `CREATE RULE`, does not end a statement). Statements that
/// are only comments or whitespace are dropped, as the server drops them. Not handled:
/// `BEGIN ATOMIC ... END` function bodies and psql meta-commands.
struct SQLScript {
    struct Statement: Equatable {
        /// 1-based line of the statement's first token.
        var line: Int
        /// The text of that line from the first token on.
        var firstLine: String
        /// Character (Unicode scalar) offsets in the script: start of the first token, end after `;`.
        var characterRange: Range<Int>
    }

    private(set) var statements: [Statement] = []
    private let lineStarts: [Int]

    /// Splits `text` (see ``SQLScanner``).
    init(_ text: String) {
        var scanner = SQLScanner(text)
        scanner.scan()
        statements = scanner.statements
        lineStarts = scanner.lineStarts
    }

    /// The statement containing the 1-based character `position` the server reported.
    func statement(atPosition position: Int) -> Statement? {
        let offset = position - 1
        return statements.first { offset < $0.characterRange.upperBound }
    }

    /// The 1-based line holding the 1-based character `position`.
    func line(atPosition position: Int) -> Int {
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= position - 1 { low = middle } else { high = middle - 1 }
        }
        return low + 1
    }
}
