import TestbedModel
/// The shape of the JSON a consumer saw: the kinds each place held, the fields each object
/// had, and — for arrays — the union of every recorded element's shape.
///
/// Built from a recorded body; a current body is then checked against it
/// (``ShapeCheck``). A field counts as required when every recorded object at its place had
/// it: an element of a recorded array that lacked `discount` makes `discount` optional, so a
/// current element without it is not "missing".
struct JSONShape: Sendable, Hashable {
    /// The kinds seen at this place.
    var kinds: Set<JSONValue.Kind> = []
    /// How many objects were seen here (to tell required fields from optional ones).
    var objects = 0
    /// The fields of those objects, with how many objects had each.
    var fields: [String: Field] = [:]
    /// The union of the elements of the arrays seen here; nil when none had an element.
    var element: Box?

    /// A field of the objects at one place.
    struct Field: Sendable, Hashable {
        var shape: JSONShape
        var count: Int
    }

    /// Indirection for the recursive element shape.
    final class Box: Sendable, Hashable {
        let shape: JSONShape
        init(_ shape: JSONShape) { self.shape = shape }
        static func == (lhs: Box, rhs: Box) -> Bool { lhs.shape == rhs.shape }
        func hash(into hasher: inout Hasher) { hasher.combine(shape) }
    }

    /// The shape of one value.
    init(_ value: JSONValue) {
        merge(value)
    }

    /// Adds one more value seen at this place.
    mutating func merge(_ value: JSONValue) {
        kinds.insert(value.kind)
        switch value {
        case .object:
            objects += 1
            for (name, value) in value.membersByKey! {
                if var field = fields[name] {
                    field.shape.merge(value)
                    field.count += 1
                    fields[name] = field
                } else {
                    fields[name] = Field(shape: JSONShape(value), count: 1)
                }
            }
        case .array(let items):
            for item in items {
                if var union = element?.shape {
                    union.merge(item)
                    element = Box(union)
                } else {
                    element = Box(JSONShape(item))
                }
            }
        default:
            break
        }
    }

    /// The kinds as a report says them: `number`, `string or null`.
    var kindText: String {
        kinds.sorted().map(\.rawValue).joined(separator: " or ")
    }

    /// True when every recorded object here had `name`.
    func requires(_ name: String) -> Bool {
        (fields[name]?.count ?? 0) == objects
    }
}
