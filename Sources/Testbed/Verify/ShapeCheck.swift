import TestbedModel
/// Checks a current JSON body against the shape of the recorded one, and (when asked)
/// compares values, collecting ``ContractDifference``s by path.
struct ShapeCheck {
    /// Paths left out of every comparison (named with `--ignore`, or learned).
    var ignored: [JSONPath]
    /// Whether new fields and values where `null` was recorded break the contract.
    var newFieldsBreak: Bool
    /// What was found, in document order.
    private(set) var differences: [ContractDifference] = []

    init(ignored: [JSONPath], newFieldsBreak: Bool) {
        self.ignored = ignored
        self.newFieldsBreak = newFieldsBreak
    }

    private func isIgnored(_ path: JSONPath) -> Bool {
        ignored.contains { $0.covers(path) }
    }

    private mutating func add(_ difference: ContractDifference, at path: JSONPath) {
        if !isIgnored(path) { differences.append(difference) }
    }

    /// Checks `value` against `shape` at `path`, and below it.
    mutating func check(_ value: JSONValue, against shape: JSONShape, at path: JSONPath = .root) {
        if isIgnored(path) { return }
        let kind = value.kind
        guard shape.kinds.contains(kind) else {
            if kind == .null {
                add(ContractDifference(.becameNull, path: path, recorded: shape.kindText, current: "null", breaking: true), at: path)
            } else if shape.kinds == [.null] {
                add(ContractDifference(.nullFilled, path: path, recorded: "null", current: kind.rawValue, breaking: newFieldsBreak), at: path)
            } else {
                add(ContractDifference(.typeChanged, path: path, recorded: shape.kindText, current: kind.rawValue, breaking: true), at: path)
            }
            return
        }
        switch value {
        case .object:
            let fields = value.membersByKey!
            for name in shape.fields.keys.sorted() {
                let field = shape.fields[name]!
                let place = path.appending(.field(name))
                if let current = fields[name] {
                    check(current, against: field.shape, at: place)
                } else if shape.requires(name) {
                    add(ContractDifference(.missing, path: place, recorded: field.shape.kindText, breaking: true), at: place)
                }
            }
            for name in fields.keys.sorted() where shape.fields[name] == nil {
                let place = path.appending(.field(name))
                add(ContractDifference(.added, path: place, current: fields[name]!.kind.rawValue, breaking: newFieldsBreak), at: place)
            }
        case .array(let items):
            guard let element = shape.element?.shape else { return }
            for (index, item) in items.enumerated() {
                check(item, against: element, at: path.appending(.index(index)))
            }
        default:
            break
        }
    }

    /// Compares values where recorded and current have the same kind: scalars by value,
    /// objects field by field, arrays element by element (and by length).
    mutating func compareValues(_ recorded: JSONValue, _ current: JSONValue, at path: JSONPath = .root) {
        if isIgnored(path) { return }
        switch (recorded, current) {
        case (.object, .object):
            let old = recorded.membersByKey!, new = current.membersByKey!
            for name in old.keys.sorted() {
                if let value = new[name] { compareValues(old[name]!, value, at: path.appending(.field(name))) }
            }
        case (.array(let old), .array(let new)):
            if old.count != new.count {
                add(ContractDifference(.value, path: path, recorded: "\(old.count) elements", current: "\(new.count) elements", breaking: true), at: path)
            }
            for index in 0..<min(old.count, new.count) {
                compareValues(old[index], new[index], at: path.appending(.index(index)))
            }
        default:
            if recorded.kind == current.kind && !recorded.isSameData(as: current) {
                add(ContractDifference(.value, path: path, recorded: recorded.reportSummary, current: current.reportSummary, breaking: true), at: path)
            }
        }
    }

    /// The differences with repeats folded: the same kind of difference at the same place of
    /// several array elements is reported once, at the first element, with its count.
    var folded: [ContractDifference] {
        var order: [String] = []
        var first: [String: ContractDifference] = [:]
        var counts: [String: Int] = [:]
        for difference in differences {
            let place = difference.path.flatMap { try? JSONPath(parsing: $0) }?.generalized.description ?? ""
            let key = [difference.kind.rawValue, place, difference.recorded ?? "", difference.current ?? ""].joined(separator: "\u{1}")
            if first[key] == nil {
                first[key] = difference
                order.append(key)
            }
            counts[key, default: 0] += 1
        }
        return order.map { counts[$0]! > 1 ? first[$0]!.counted(counts[$0]!) : first[$0]! }
    }
}
