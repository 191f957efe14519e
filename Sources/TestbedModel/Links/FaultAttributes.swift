/// The `attributes` object of a toxic in Toxiproxy's JSON, as a client sent it: numbers, and
/// an HTTP fault's text attributes (`"method": "POST"`, `"path": "/charges"`, `"body": "…"`)
/// and headers (`"headers": {"Retry-After": "2"}`, kept as `header.NAME`).
///
/// Read the same way for a toxic that is added (`POST /proxies/NAME/toxics`, inside ``Fault``'s
/// `Decodable`) and one that is updated (`POST /proxies/NAME/toxics/TOXIC`), so an update takes
/// every attribute an add takes. A value of another JSON type is a `DecodingError`; a number
/// that is not whole is a ``LinkError`` from ``numbers(of:)``, once the fault's type is known.
package struct FaultAttributes: Decodable, Sendable, Hashable {
    /// The numeric attributes given as integers.
    private var whole: [String: Int] = [:]
    /// The numeric attributes given with a fraction or an exponent (`100.0`, `1e3`, `2.5`).
    private var fractional: [String: Double] = [:]
    /// The text attributes: `method`, `path`, `body`, and `header.NAME` for each header.
    package private(set) var text: [String: String] = [:]

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    package init() {}

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        for key in container.allKeys {
            if let number = try? container.decode(Int.self, forKey: key) {
                whole[key.stringValue] = number
            } else if let string = try? container.decode(String.self, forKey: key) {
                text[key.stringValue] = string
            } else if key.stringValue == "headers", let headers = try? container.decode([String: String].self, forKey: key) {
                for (header, value) in headers { text["header.\(header)"] = value }
            } else {
                fractional[key.stringValue] = try container.decode(Double.self, forKey: key)
            }
        }
    }

    /// The numeric attributes as whole numbers, for a fault of `type`. Throws ``LinkError``
    /// (`invalidFault`) for a number that is not whole (Toxiproxy's attributes are integers;
    /// `100.0` is accepted as `100`).
    package func numbers(of type: String) throws -> [String: Int] {
        var numbers = whole
        for (key, number) in fractional.sorted(by: { $0.key < $1.key }) {
            guard number.rounded() == number, abs(number) < 1e15 else {
                throw LinkError(.invalidFault, "attribute '\(key)' of a \(type) fault must be a whole number, not \(number)")
            }
            numbers[key] = Int(number)
        }
        return numbers
    }
}
