import Foundation

/// A user of the shop.
public struct User: Sendable, Hashable {
    /// The database id.
    public var id: Int
    /// Unique.
    public var email: String
    /// Display name.
    public var name: String

    /// A user as stored.
    public init(id: Int, email: String, name: String) {
        self.id = id
        self.email = email
        self.name = name
    }
}

/// Users in PostgreSQL, through the `psql` client (values are passed as psql variables and
/// quoted by psql, never pasted into the SQL).
public struct UserRepository: Sendable {
    /// A `postgresql://` URL, e.g. a Testbed service's `url` or a `TestDatabase`'s.
    public let databaseURL: String

    /// A repository on the database at `databaseURL`.
    public init(databaseURL: String) {
        self.databaseURL = databaseURL
    }

    /// Every user, by id.
    public func all() throws -> [User] {
        try rows("SELECT id, email, name FROM users ORDER BY id;").map(User.init(row:))
    }

    /// The user with `email`, if any.
    public func user(email: String) throws -> User? {
        try rows("SELECT id, email, name FROM users WHERE email = :'email';", ["email": email]).first.map(User.init(row:))
    }

    /// Adds a user and returns its id. Throws ``ShopError`` when the email is taken.
    @discardableResult
    public func add(email: String, name: String) throws -> Int {
        let row = try rows("INSERT INTO users (email, name) VALUES (:'email', :'name') RETURNING id;",
                           ["email": email, "name": name])
        return Int(row[0][0])!
    }

    /// The number of orders and their total for the user with `email`.
    public func orderSummary(email: String) throws -> (count: Int, total: String) {
        let row = try rows("""
            SELECT count(o.id), coalesce(sum(o.total), 0) FROM users u LEFT JOIN orders o ON o.user_id = u.id
            WHERE u.email = :'email';
            """, ["email": email])[0]
        return (Int(row[0])!, row[1])
    }

    private func rows(_ sql: String, _ variables: [String: String] = [:]) throws -> [[String]] {
        var arguments = ["psql", databaseURL, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1"]
        for (name, value) in variables.sorted(by: { $0.key < $1.key }) { arguments += ["-v", "\(name)=\(value)"] }
        let output = try CommandLineClient(arguments: arguments).run(script: sql)
        return output.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }
}

extension User {
    init(row: [String]) {
        self.init(id: Int(row[0]) ?? 0, email: row[1], name: row[2])
    }
}
