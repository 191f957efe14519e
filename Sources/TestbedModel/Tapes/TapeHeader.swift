import Foundation

/// One HTTP header line as it was sent: its name with the case it had, and its value.
///
/// Headers stay a list rather than a dictionary, so that order and repeated names
/// (`Set-Cookie`, `Vary`) survive a round trip through a tape.
public struct TapeHeader: Sendable, Hashable, Codable {
    /// The name, with the case it was sent with; compare with `matches(_:)`.
    package var name: String
    /// The value, as sent.
    package var value: String

    /// Makes a header.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// True when this header's name is `name`, ignoring case (HTTP names are case-insensitive).
    package func matches(_ name: String) -> Bool {
        self.name.caseInsensitiveCompare(name) == .orderedSame
    }
}

extension Array where Element == TapeHeader {
    /// The first value of the header `name` (case-insensitive), or nil.
    package func first(_ name: String) -> String? {
        first { $0.matches(name) }?.value
    }
}
