import TestbedModel
/// Every kind of service Testbed runs: the one place a kind is registered.
package enum ServiceKinds {
    /// The kinds, the default one (a service without a block: a process) first. Adding a
    /// kind is a line here and a folder under Drivers/ (docs/architecture.md, "Adding a
    /// service kind").
    package static let all: [any ServiceKind] = [ProcessKind(), PostgresKind(), SQLiteKind(), ContainerKind()]

    /// The kind of a service without a block.
    package static var standard: any ServiceKind { all[0] }

    /// The kind whose specs `spec` is.
    package static func kind(of spec: any ServiceKindSpec) -> any ServiceKind {
        all.first { $0.name == spec.kindName } ?? standard
    }

    /// The kind called `name` (a planned service's ``PlannedService/kindName``).
    package static func kind(named name: String) -> any ServiceKind {
        all.first { $0.name == name } ?? standard
    }

    /// The kinds made by a block (`postgres:`, `sqlite:`).
    package static var withBlock: [any ServiceKind] { all.filter { $0.blockKey != nil } }

    /// The names of the kinds that take `seed:` steps (the databases), as prose:
    /// `postgres and sqlite`, `postgres or sqlite`.
    static func seededNames(joinedBy conjunction: String) -> String {
        let names = all.filter(\.takesSeed).map(\.name)
        return names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " \(conjunction) " + names.last!
    }
}
