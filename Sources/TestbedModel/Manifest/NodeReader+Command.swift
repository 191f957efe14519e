import Yams

extension NodeReader {
    /// Reads a command: a list runs directly, a string through `/bin/sh -c`. Records a
    /// problem and returns nil for an empty one (`emptyHint`: what to write instead) or a
    /// value that is not text.
    package mutating func command(_ node: Node, _ what: String, service: String, emptyHint: String?) -> CommandSpec? {
        if case .sequence(let items) = node {
            let parts = items.compactMap { template($0, "an argument of \(what)", service: service) }
            guard parts.count == items.count else { return nil }
            guard !parts.isEmpty else {
                fail(node, service: service, "\(what) is an empty list", hint: emptyHint)
                return nil
            }
            return .argv(parts)
        }
        guard let text = template(node, what, service: service) else { return nil }
        if text.source.trimmingCharacters(in: .whitespaces).isEmpty {
            fail(node, service: service, "\(what) is empty", hint: emptyHint)
            return nil
        }
        return .shell(text)
    }
}
