import PostgresNIO

/// Stock levels per SKU in PostgreSQL, through postgres-nio.
public struct StockStore: Sendable {
    /// The client the store queries through; the caller runs it (`client.run()`).
    public let client: PostgresClient

    /// A store on `client`.
    public init(client: PostgresClient) {
        self.client = client
    }

    /// How many of `sku` are in stock (0 for an unknown SKU).
    public func quantity(of sku: String) async throws -> Int {
        let rows = try await client.query("SELECT quantity FROM stock WHERE sku = \(sku)")
        for try await quantity in rows.decode(Int.self) { return quantity }
        return 0
    }

    /// Adds `count` of `sku` to the stock and returns the new quantity.
    @discardableResult
    public func receive(_ count: Int, of sku: String) async throws -> Int {
        let rows = try await client.query("""
            INSERT INTO stock (sku, quantity) VALUES (\(sku), \(count))
            ON CONFLICT (sku) DO UPDATE SET quantity = stock.quantity + EXCLUDED.quantity
            RETURNING quantity
            """)
        for try await quantity in rows.decode(Int.self) { return quantity }
        throw StockError.noRow
    }

    /// Every SKU in stock, sorted.
    public func skus() async throws -> [String] {
        var skus: [String] = []
        for try await sku in try await client.query("SELECT sku FROM stock ORDER BY sku").decode(String.self) {
            skus.append(sku)
        }
        return skus
    }
}

/// A statement that should have returned a row did not.
public enum StockError: Error {
    case noRow
}
