/// A path into a JSON body, as match and redaction rules name it: `$.card.number`,
/// `$.items[*].id`, `$.items[0]`, `$["odd.key"]`, `$.*`.
///
/// `.name` and `["name"]` step into an object member, `[N]` into an array element, and
/// `[*]` / `.*` into every element or member.
struct TapeJSONPath: Sendable, Hashable, CustomStringConvertible {
    enum Step: Sendable, Hashable {
        case member(String)
        case index(Int)
        case any
    }

    let steps: [Step]
    /// The path as written.
    let description: String

    /// Parses `text`; nil when it is not a path of this grammar (it must start with `$`).
    init?(_ text: String) {
        var steps: [Step] = []
        var rest = Substring(text)
        guard rest.first == "$" else { return nil }
        rest = rest.dropFirst()
        while let first = rest.first {
            if first == "." {
                rest = rest.dropFirst()
                let name = rest.prefix { $0 != "." && $0 != "[" }
                guard !name.isEmpty else { return nil }
                steps.append(name == "*" ? .any : .member(String(name)))
                rest = rest.dropFirst(name.count)
            } else if first == "[" {
                guard let close = rest.firstIndex(of: "]") else { return nil }
                let inside = rest[rest.index(after: rest.startIndex)..<close]
                if inside == "*" {
                    steps.append(.any)
                } else if let index = Int(inside), index >= 0 {
                    steps.append(.index(index))
                } else if inside.count >= 2, let quote = inside.first, quote == "\"" || quote == "'",
                          inside.last == quote {
                    steps.append(.member(String(inside.dropFirst().dropLast())))
                } else {
                    return nil
                }
                rest = rest[rest.index(after: close)...]
            } else {
                return nil
            }
        }
        guard !steps.isEmpty else { return nil }
        self.steps = steps
        self.description = text
    }

    /// What a rule does at the places the path reaches.
    enum Action {
        /// Takes the value out: an object member is removed, an array element becomes null
        /// (so that the other elements keep their indexes).
        case erase
        /// Puts a string in the value's place.
        case replace(String)
    }

    /// Applies `action` wherever the path reaches in `node`; returns how many places it reached.
    @discardableResult
    func apply(_ action: Action, to node: inout JSONNode) -> Int {
        apply(action, steps[...], to: &node)
    }

    private func apply(_ action: Action, _ steps: ArraySlice<Step>, to node: inout JSONNode) -> Int {
        guard let step = steps.first else { return 0 }
        let last = steps.count == 1
        var reached = 0
        switch node.kind {
        case .object(var members):
            var index = members.count - 1
            while index >= 0 {
                defer { index -= 1 }
                switch step {
                case .member(let name) where members[index].key == name: break
                case .any: break
                default: continue
                }
                if last {
                    reached += 1
                    switch action {
                    case .erase: members.remove(at: index)
                    case .replace(let text): members[index].value.kind = .string(text)
                    }
                } else {
                    reached += apply(action, steps.dropFirst(), to: &members[index].value)
                }
            }
            node.kind = .object(members)
        case .array(var items):
            let chosen: [Int]
            switch step {
            case .index(let wanted): chosen = wanted < items.count ? [wanted] : []
            case .any: chosen = Array(items.indices)
            case .member: chosen = []
            }
            for index in chosen {
                if last {
                    reached += 1
                    switch action {
                    case .erase: items[index].kind = .null
                    case .replace(let text): items[index].kind = .string(text)
                    }
                } else {
                    reached += apply(action, steps.dropFirst(), to: &items[index])
                }
            }
            node.kind = .array(items)
        default:
            break
        }
        return reached
    }
}
