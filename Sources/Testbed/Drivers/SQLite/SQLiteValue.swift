/// A value SQLite stores or returns, with its storage class.
public enum SQLiteValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .text(let value): value
        case .blob(let bytes): "<\(bytes.count) bytes>"
        }
    }

    /// The text, or the number as text; nil for NULL and blobs.
    public var stringValue: String? {
        switch self {
        case .null, .blob: nil
        case .text(let value): value
        default: description
        }
    }

    public var integerValue: Int64? {
        switch self {
        case .integer(let value): value
        case .real(let value): Int64(exactly: value)
        case .text(let value): Int64(value)
        default: nil
        }
    }
}
