/// What every error Testbed throws has in common: a message written for the user and, when
/// Testbed knows one, what to do about it.
///
/// Each error keeps the fields a caller acts on, which differ (a ``LinkError/Code``, a file
/// and line, a service, an SQLSTATE), and its own `Code` type, so that the codes of one
/// error cannot be compared with another's. What they share is written here once: the
/// default ``description`` is the message, then the hint on its own line:
///
/// ```
/// the run root /dev/shm/testbed-0 is writable by others
///     hint: make it private (chmod 700 /dev/shm/testbed-0) or use another folder
/// ```
///
/// An error with more to say (where in a file, a log tail, the failing statement) writes
/// its own description in the same shape, with ``hintLine(_:)`` for the hint.
/// `catch let error as any TestbedError` reads the message and hint of any of them.
public protocol TestbedError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, written for the user.
    var message: String { get }
    /// What the user should do next; nil when the message says it all.
    var hint: String? { get }
}

extension TestbedError {
    /// No hint: the message says it all.
    public var hint: String? { nil }

    /// The message, then the hint on its own line.
    public var description: String { message + Self.hintLine(hint) }

    /// `\n    hint: HINT`, or nothing without a hint: how every error shows its hint.
    package static func hintLine(_ hint: String?) -> String {
        hint.map { "\n    hint: \($0)" } ?? ""
    }
}
