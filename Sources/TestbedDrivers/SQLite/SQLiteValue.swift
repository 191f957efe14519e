/// A value SQLite stores or returns, with its storage class.
package enum SQLiteValue: Sendable, Hashable, CustomStringConvertible {
    /// SQL NULL.
    case null
    /// A 64-bit signed integer.
    case integer(Int64)
    /// An 8-byte IEEE floating-point number.
    case real(Double)
    /// A UTF-8 string.
    case text(String)
    /// Raw bytes, stored as given.
    case blob([UInt8])

    /// The value as text for messages: `NULL`, the number, the string, or `<N bytes>` for a blob.
    package var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .text(let value): value
        case .blob(let bytes): "<\(bytes.count) bytes>"
        }
    }

    /// The text, or the number as text; nil for NULL and blobs.
    package var stringValue: String? {
        switch self {
        case .null, .blob: nil
        case .text(let value): value
        default: description
        }
    }

    /// The value as an integer: integers as they are, reals only when exact, text when it parses; else nil.
    package var integerValue: Int64? {
        switch self {
        case .integer(let value): value
        case .real(let value): Int64(exactly: value)
        case .text(let value): Int64(value)
        default: nil
        }
    }
}
