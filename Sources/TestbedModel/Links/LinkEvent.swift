import Foundation

/// Something that happened to a link: a fault added, updated or removed, the link taken
/// down or brought up, created or deleted. ``LinkSet/onChange`` hands these to the CLI
/// (`--json` events, `--report` lines) so a failed test's report says what was injected when.
public struct LinkEvent: Sendable, Hashable {
    /// What happened.
    package enum Action: String, Sendable, Hashable, Codable, CaseIterable {
        /// A fault was added (``LinkEvent/fault`` is it).
        case faultAdded = "fault-added"
        /// A fault's attributes or toxicity changed (``LinkEvent/fault`` is the new value).
        case faultUpdated = "fault-updated"
        /// A fault was removed (``LinkEvent/fault`` is what was removed).
        case faultRemoved = "fault-removed"
        /// The link stopped accepting and cut its open connections.
        case down
        /// The link accepts connections again.
        case up
        /// The link was created (from the manifest or a Toxiproxy client).
        case created
        /// The link was deleted.
        case deleted
        /// An HTTP link in replay had no recorded answer for a request (``LinkEvent/detail``
        /// names the request, the closest recorded one and how they differ).
        case tapeMiss = "tape-miss"
        /// At teardown: a recorded exchange of an HTTP link's tape was never used.
        case tapeUnused = "tape-unused"
        /// At teardown: an HTTP link wrote its tape (``LinkEvent/detail`` says where, how many
        /// exchanges it recorded, and warns of credential-like headers that reached it in clear).
        case tapeWritten = "tape-written"
        /// At teardown: an HTTP link that read its tape (replay, record_missing) says how many
        /// of its exchanges answered requests (``LinkEvent/detail``: `replayed 3 of 3 exchanges …`).
        case tapeReplayed = "tape-replayed"
        /// At teardown: a strict tape saw misses or unused exchanges; the run fails.
        case tapeStrictFailed = "tape-strict-failed"
    }

    /// The link's name.
    package var link: String
    /// What happened.
    package var action: Action
    /// The fault concerned, for fault actions.
    package var fault: Fault?
    /// When it happened (wall clock).
    package var time: Date
    /// For tape actions: what happened, in words.
    package var detail: String?

    /// Makes an event.
    package init(link: String, action: Action, fault: Fault? = nil, time: Date = Date(), detail: String? = nil) {
        self.link = link
        self.action = action
        self.fault = fault
        self.time = time
        self.detail = detail
    }
}
