import Foundation
import TestbedModel
import TestbedTapes

/// Compares the response a provider gives now with the one a consumer recorded: status,
/// content type and the JSON body's shape (and its values, when asked).
///
/// The policy (docs/tapes.md, "Check a provider against its consumers' tapes"):
/// - a different status breaks the contract; 404, 405 or 410 where the tape has another
///   status is reported as a removed endpoint. When the status differs, nothing else is
///   compared (the body of an error is not the body the consumer parses);
/// - a different media type breaks it (`application/json; charset=utf-8` and
///   `application/json` are the same); a recorded response without `Content-Type` has none to keep;
/// - a JSON body: missing fields, changed types and `null` where a value was break it; new
///   fields and values where `null` was are reported, and break it only with `newFieldsBreak`
///   (a consumer usually ignores what it does not read);
/// - arrays: every current element is checked against the union of the recorded elements'
///   shapes, so a field only some recorded elements had is optional;
/// - values are compared only with `compareValues`; a non-JSON body only then, as bytes.
public struct ResponseComparison: Sendable, Hashable {
    /// Paths left out of every comparison: volatile fields (ids, timestamps), named or learned.
    package var ignored: [JSONPath]
    /// Compare values too, not only shapes.
    package var compareValues: Bool
    /// New fields (and values where `null` was) break the contract.
    package var newFieldsBreak: Bool

    /// Makes a comparison; by default shapes only, new fields allowed.
    public init(ignored: [JSONPath] = [], compareValues: Bool = false, newFieldsBreak: Bool = false) {
        self.ignored = ignored
        self.compareValues = compareValues
        self.newFieldsBreak = newFieldsBreak
    }

    /// Every difference between `recorded` and `current`, breaking or not, in report order.
    package func differences(recorded: TapeResponse, current: TapeResponse) -> [ContractDifference] {
        if recorded.status != current.status {
            let now = "\(current.status)" + (current.reason.map { " " + $0 } ?? "")
            let gone = [404, 405, 410].contains(current.status)
            return [ContractDifference(gone ? .removedEndpoint : .status, recorded: "\(recorded.status)", current: now, breaking: true)]
        }
        var differences: [ContractDifference] = []
        let recordedType = Self.mediaType(recorded.headers)
        let currentType = Self.mediaType(current.headers)
        if let recordedType, recordedType != currentType {
            differences.append(ContractDifference(.contentType, recorded: recordedType, current: currentType, breaking: true))
        }
        let recordedIsJSON = recordedType.map(Self.isJSON) ?? true
        if recordedIsJSON, let recordedValue = JSONValue(body: recorded.body) {
            guard let currentValue = JSONValue(body: current.body) else {
                let what = current.body.isEmpty ? "an empty body" : "a body that is not JSON (\(current.body.count) bytes)"
                return differences + [ContractDifference(.body, path: .root, recorded: "JSON", current: what, breaking: true)]
            }
            var check = ShapeCheck(ignored: ignored, newFieldsBreak: newFieldsBreak)
            check.check(currentValue, against: JSONShape(recordedValue))
            if compareValues { check.compareValues(recordedValue, currentValue) }
            differences += check.folded
        } else if compareValues && recorded.body != current.body {
            differences.append(ContractDifference(.body, recorded: "\(recorded.body.count) bytes", current: "\(current.body.count) other bytes", breaking: true))
        }
        return differences
    }

    /// The media type of `Content-Type`, lowercased, without parameters; nil when there is none.
    static func mediaType(_ headers: [TapeHeader]) -> String? {
        guard let value = headers.first("Content-Type") else { return nil }
        let type = value.split(separator: ";", maxSplits: 1).first.map(String.init) ?? value
        let trimmed = type.trimmingCharacters(in: .whitespaces).lowercased()
        return trimmed.isEmpty ? nil : trimmed
    }

    /// `application/json`, `application/problem+json`, `text/json`, …
    static func isJSON(_ mediaType: String) -> Bool {
        mediaType.hasSuffix("/json") || mediaType.hasSuffix("+json")
    }
}
