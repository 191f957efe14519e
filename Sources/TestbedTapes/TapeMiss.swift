/// What a ``TapePlayer`` answers for one request.
package enum TapeAnswer: Sendable {
    /// A recorded exchange matches; `index` is its place on the tape (0-based).
    case hit(TapeExchange, index: Int)
    /// No recorded exchange matches.
    case miss(TapeMiss)
}

/// A request that no recorded exchange matches, with the closest one and how it differs.
package struct TapeMiss: Sendable, Hashable, CustomStringConvertible {
    /// The request that was not found.
    package var request: TapeRequest
    /// The index (0-based) of the closest recorded exchange (same method and path first,
    /// then the fewest differences); nil when the tape is empty.
    package var closest: Int?
    /// The closest exchange's request (method and target), for the description.
    package var closestRequest: String?
    /// How the request differs from the closest one, one line each, e.g.
    /// `query 'page': recorded "2", got "3"`, `body $.amount: recorded 100, got 250`.
    package var differences: [String]

    /// Makes a miss.
    package init(request: TapeRequest, closest: Int? = nil, closestRequest: String? = nil, differences: [String] = []) {
        self.request = request
        self.closest = closest
        self.closestRequest = closestRequest
        self.differences = differences
    }

    /// One readable paragraph: the request, the closest recorded one, the differences.
    package var description: String {
        let asked = "no recorded exchange matches \(request.method) \(request.target)"
        guard let closest else { return asked + ": the tape is empty." }
        let shown = closestRequest.map { " (\($0))" } ?? ""
        guard !differences.isEmpty else {
            return asked + "; the closest is exchange [\(closest)]\(shown)."
        }
        return asked + "; the closest is exchange [\(closest)]\(shown), which differs: "
            + differences.joined(separator: "; ") + "."
    }
}
