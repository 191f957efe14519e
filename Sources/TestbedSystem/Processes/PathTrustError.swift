import Foundation

/// A folder Testbed would have to trust cannot be: it is a symlink, another user's, or
/// writable by others. The message names the path; the hint says what to do.
public struct PathTrustError: TestbedError {
    /// What is wrong with the folder.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code's short name.
        public let description: String
        private init(_ description: String) { self.description = description }
        /// The path is a symbolic link.
        package static let symlink = Code("symlink")
        /// The path exists but is not a directory.
        package static let notADirectory = Code("not a directory")
        /// Another account owns it.
        package static let foreignOwner = Code("foreign owner")
        /// Group or others may write it.
        package static let writableByOthers = Code("writable by others")
        /// A parent can be changed by another account.
        package static let unsafeParent = Code("unsafe parent")
        /// A system call failed.
        package static let system = Code("system")
    }

    /// What is wrong.
    package var code: Code
    /// The folder concerned.
    package var path: String
    /// What went wrong, for the user.
    public var message: String
    /// What to do about it.
    public var hint: String?

    /// Makes an error about `path`.
    public init(_ code: Code, path: String, _ message: String, hint: String?) {
        self.code = code
        self.path = path
        self.message = message
        self.hint = hint
    }
}
