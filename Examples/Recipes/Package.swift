// swift-tools-version:6.1
import PackageDescription

// Recipes for clients CI does not build (Fluent and its drivers take about 8 minutes on two
// cores): Vapor's Fluent on a Testbed PostgreSQL service, GRDB on a Testbed SQLite service.
//
//     cd Examples/Recipes && swift test
//
// Linux only, like Testbed itself.
let package = Package(
    name: "Recipes",
    dependencies: [
        .package(name: "Testbed", path: "../.."),
        .package(url: "https://github.com/vapor/fluent-postgres-driver", from: "2.14.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .testTarget(
            name: "RecipesTests",
            dependencies: [
                .product(name: "TestbedTesting", package: "Testbed"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            exclude: ["environments"]
        ),
    ]
)
