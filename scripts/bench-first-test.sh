#!/bin/sh
# Time from an empty package to a first passing test, following docs/swift-testing.md:
# a new package with Testbed (this checkout) and postgres-nio, the manifest of section 2,
# the postgres-nio helper of section 3 and one test. Prints the wall time of the first
# `swift build --build-tests` (everything compiled from nothing) and of `swift test`.
#
#     scripts/bench-first-test.sh [scratch folder]      (default: a new folder under /tmp)
#
# Needs the machine's Swift package copies (or network) for postgres-nio. Takes minutes.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$(mktemp -d /tmp/first-test.XXXXXX)}
mkdir -p "$dir/Sources/Store" "$dir/Tests/StoreTests/environments/fixtures"
cd "$dir"
cat > Package.swift <<SWIFT
// swift-tools-version:6.1
import PackageDescription
let package = Package(
    name: "Store",
    dependencies: [
        .package(name: "Testbed", path: "$repo"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .target(name: "Store", dependencies: [.product(name: "PostgresNIO", package: "postgres-nio")]),
        .testTarget(name: "StoreTests",
                    dependencies: ["Store", .product(name: "TestbedTesting", package: "Testbed")],
                    exclude: ["environments"]),
    ]
)
SWIFT
echo 'import PostgresNIO' > Sources/Store/Store.swift
cp "$repo/Examples/Inventory/Tests/InventoryTests/environments/inventory.yml" Tests/StoreTests/environments/
cp "$repo/Examples/Inventory/Tests/InventoryTests/environments/fixtures/stock.sql" Tests/StoreTests/environments/fixtures/
cp "$repo/Examples/Inventory/Tests/InventoryTests/PostgresClient+Testbed.swift" Tests/StoreTests/
cat > Tests/StoreTests/StoreTests.swift <<'SWIFT'
import PostgresNIO
import Testing
import TestbedTesting

@Suite(.testbed("environments/inventory.yml"))
struct StoreTests {
    @Test func readsTheSeed() async throws {
        let count = try await withClient { client in
            var total = 0
            for try await n in try await client.query("SELECT count(*)::int FROM stock").decode(Int.self) { total = n }
            return total
        }
        #expect(count == 3)
    }
}
SWIFT
echo "package: $dir"
/usr/bin/time -f "build: %e s wall" swift build --build-tests >build.log 2>&1 || { tail -20 build.log; exit 1; }
grep "build:" build.log
/usr/bin/time -f "test: %e s wall" swift test >test.log 2>&1 || { tail -20 test.log; exit 1; }
grep -E "test:|passed after" test.log | tail -3
