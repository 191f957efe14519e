extension JSONPath {
    /// What a rule does at the places a path reaches (a tape's `redact.json` and
    /// `match.ignore_json`).
    package enum Action {
        /// Takes the value out: an object member is removed, an array element becomes null
        /// (so that the other elements keep their indexes).
        case erase
        /// Puts a string in the value's place.
        case replace(String)
    }

    /// Applies `action` wherever the path reaches in `value`; returns how many places it
    /// reached. The root path reaches nothing: a rule names a place inside a document.
    @discardableResult
    package func apply(_ action: Action, to value: inout JSONValue) -> Int {
        Self.apply(action, components[...], to: &value)
    }

    private static func apply(_ action: Action, _ steps: ArraySlice<Component>, to value: inout JSONValue) -> Int {
        guard let step = steps.first else { return 0 }
        let last = steps.count == 1
        var reached = 0
        switch value {
        case .object(var members):
            var index = members.count - 1
            while index >= 0 {
                defer { index -= 1 }
                switch step {
                case .field(let name) where members[index].key == name: break
                case .anyField, .anyIndex: break
                default: continue
                }
                if last {
                    reached += 1
                    switch action {
                    case .erase: members.remove(at: index)
                    case .replace(let text): members[index].value = .string(text)
                    }
                } else {
                    reached += apply(action, steps.dropFirst(), to: &members[index].value)
                }
            }
            value = .object(members)
        case .array(var items):
            let chosen: Range<Int> = switch step {
            case .index(let wanted): wanted < items.count ? wanted..<wanted + 1 : 0..<0
            case .anyField, .anyIndex: items.indices
            case .field: 0..<0
            }
            for index in chosen {
                if last {
                    reached += 1
                    switch action {
                    case .erase: items[index] = .null
                    case .replace(let text): items[index] = .string(text)
                    }
                } else {
                    reached += apply(action, steps.dropFirst(), to: &items[index])
                }
            }
            value = .array(items)
        default:
            break
        }
        return reached
    }
}
