// swift-tools-version:6.1
import PackageDescription

// A stock store on postgres-nio, tested with TestbedTesting: every test gets a database of
// its own, and the tests run in parallel (plain `swift test`).
//
//     cd Examples/Inventory && swift test
//
// Linux only, like Testbed itself.
let package = Package(
    name: "Inventory",
    dependencies: [
        // A local checkout: name the package, else its identity is the folder's name.
        .package(name: "Testbed", path: "../.."),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .target(
            name: "Inventory",
            dependencies: [.product(name: "PostgresNIO", package: "postgres-nio")]
        ),
        .testTarget(
            name: "InventoryTests",
            dependencies: [
                "Inventory",
                .product(name: "TestbedTesting", package: "Testbed"),
            ],
            // The manifest and its fixtures are read from disk by Testbed, not built.
            exclude: ["environments"]
        ),
    ]
)
