/// One value of a fixture row, as the file wrote it, for any database to bind.
package enum FixtureValue: Sendable, Hashable {
    /// An explicit JSON `null`.
    case null
    /// A JSON `true` or `false`.
    case bool(Bool)
    /// A JSON number that is an integer fitting in 64 bits.
    case integer(Int64)
    /// Any other JSON number, as written (so `numeric` columns keep every digit).
    case decimal(String)
    /// A JSON string, unescaped.
    case text(String)
    /// A nested JSON array or object, re-serialized as compact JSON text (keys in file order).
    case json(String)
}
