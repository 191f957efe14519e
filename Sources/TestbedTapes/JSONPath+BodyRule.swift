import TestbedModel
extension JSONPath {
    /// Parses a tape rule's path (`match.ignore_json`, `redact.json`): the one grammar of
    /// ``JSONPath``, naming a place inside the body, so not the root (`$`) itself.
    init(bodyRule text: String) throws(JSONPathError) {
        try self.init(parsing: text)
        guard !components.isEmpty else {
            throw JSONPathError(path: text, position: 1, message: "a rule names a place inside the body, such as $.id, not the whole body")
        }
    }

    /// Why `text` is not a tape rule's path; nil when it is one.
    package static func bodyRuleError(_ text: String) -> JSONPathError? {
        do {
            _ = try JSONPath(bodyRule: text)
            return nil
        } catch {
            return error
        }
    }
}
