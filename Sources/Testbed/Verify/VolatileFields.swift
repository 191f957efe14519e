import TestbedModel
import TestbedTapes
/// Finds the volatile fields of a response — ids, timestamps, nonces — by comparing two
/// answers the provider gave to the same request (`--learn`).
///
/// Every place where the two JSON bodies differ (another value, another kind, a field only
/// one of them has) is volatile; element indexes are generalized (`$.items[*].id`), so what
/// is learned from one element covers all of them. Arrays of different lengths are
/// compared over their common elements only.
package enum VolatileFields {
    /// The volatile paths between two answers to one request, sorted; empty when either
    /// body is not JSON.
    package static func learn(_ first: TapeResponse, _ second: TapeResponse) -> [JSONPath] {
        guard let one = JSONValue(body: first.body), let two = JSONValue(body: second.body) else { return [] }
        var found = Set<JSONPath>()
        walk(one, two, at: .root, into: &found)
        return found.sorted()
    }

    private static func walk(_ one: JSONValue, _ two: JSONValue, at path: JSONPath, into found: inout Set<JSONPath>) {
        switch (one, two) {
        case (.object, .object):
            let a = one.membersByKey!, b = two.membersByKey!
            for name in Set(a.keys).union(b.keys) {
                let place = path.appending(.field(name))
                if let x = a[name], let y = b[name] { walk(x, y, at: place, into: &found) } else { found.insert(place.generalized) }
            }
        case (.array(let a), .array(let b)):
            for index in 0..<min(a.count, b.count) {
                walk(a[index], b[index], at: path.appending(.index(index)), into: &found)
            }
        default:
            if !one.isSameData(as: two) { found.insert(path.generalized) }
        }
    }
}
