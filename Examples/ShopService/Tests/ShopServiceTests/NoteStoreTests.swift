import ShopService
import Testing
import TestbedTesting

/// The note store against SQLite: each test works on its own copy of the seeded file.
@Suite(.testbed("environments/notes.yml"))
struct NoteStoreTests {
    func store() async throws -> NoteStore {
        NoteStore(path: try await TestbedContext.database("notes").path!)
    }

    @Test func readsTheSeededNotes() async throws {
        #expect(try await store().titles() == ["buy milk", "call Ada", "ship it"])
    }

    @Test func changesStayInThisTestsCopy() async throws {
        let store = try await store()
        try store.removeAll()
        try store.add(title: "it's mine")
        #expect(try store.titles() == ["it's mine"])
        let other = try await self.store()
        #expect(try other.titles().count == 3)
    }
}
