/// A JSON value compared as data: object keys in any order, whitespace and number spelling
/// (`100`, `100.0`, `1e2`) ignored. Matching uses it as a dictionary key and to say where two
/// bodies differ.
indirect enum TapeJSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([TapeJSONValue])
    case object([String: TapeJSONValue])

    /// The value of a parsed node; of repeated keys the last one counts, as most parsers do.
    init(_ node: JSONNode) {
        switch node.kind {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .number(let text): self = .number(Self.normalized(number: text))
        case .string(let text): self = .string(text)
        case .array(let items): self = .array(items.map(TapeJSONValue.init))
        case .object(let members):
            var object = [String: TapeJSONValue](minimumCapacity: members.count)
            for member in members { object[member.key] = TapeJSONValue(member.value) }
            self = .object(object)
        }
    }

    /// One spelling per number: whole numbers up to 2^53 as integers, other integers as
    /// written, the rest as Swift prints the Double.
    static func normalized(number text: String) -> String {
        guard let value = Double(text), value.isFinite else { return text }
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 { return String(Int64(value)) }
        if !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return text }
        return "\(value)"
    }

    /// Compact JSON, keys sorted, cut after `limit` characters with `…`.
    func summary(limit: Int = 60) -> String {
        var out: [UInt8] = []
        write(to: &out)
        let text = String(decoding: out, as: UTF8.self)
        return text.count > limit ? String(text.prefix(limit)) + "…" : text
    }

    private func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let text): out.append(contentsOf: text.utf8)
        case .string(let text): TapeJSONLayout.writeString(text, ascii: false, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                TapeJSONLayout.writeString(key, ascii: false, to: &out)
                out.append(UInt8(ascii: ":"))
                members[key]!.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Where `got` differs from `self` (the recorded value), as `$.a.b: recorded X, got Y`
    /// lines, depth first, keys sorted.
    func differences(from got: TapeJSONValue, at path: String = "$") -> [String] {
        switch (self, got) {
        case (.object(let recorded), .object(let received)):
            var lines: [String] = []
            for key in Set(recorded.keys).union(received.keys).sorted() {
                let child = path + Self.step(key)
                switch (recorded[key], received[key]) {
                case (let left?, let right?): lines += left.differences(from: right, at: child)
                case (let left?, nil): lines.append("\(child): recorded \(left.summary()), got none")
                case (nil, let right?): lines.append("\(child): recorded none, got \(right.summary())")
                case (nil, nil): break
                }
            }
            return lines
        case (.array(let recorded), .array(let received)) where recorded.count == received.count:
            return zip(recorded, received).enumerated().flatMap { index, pair in
                pair.0.differences(from: pair.1, at: path + "[\(index)]")
            }
        case (.array(let recorded), .array(let received)):
            return ["\(path): recorded \(recorded.count) items, got \(received.count)"]
        default:
            return self == got ? [] : ["\(path): recorded \(summary()), got \(got.summary())"]
        }
    }

    private static func step(_ key: String) -> String {
        let plain = !key.isEmpty && key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        return plain ? "." + key : "[\"" + key + "\"]"
    }
}
