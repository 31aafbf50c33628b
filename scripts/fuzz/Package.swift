// swift-tools-version:5.4
import PackageDescription

// libFuzzer targets for the parsers of what a clone or a remote brings (docs/security.md). A package of
// its own, so the root package's `swift build` and `scripts/test` never build it; `scripts/fuzz/run`
// builds one target with `-sanitize=fuzzer,address -parse-as-library -enable-testing`. Tools version
// 5.4: from 5.5 on, SwiftPM renames an executable's entry point and links `main` to it, which clashes
// with libFuzzer's own `main`.

/// The root package, by the name SwiftPM gives a path dependency (its directory's name).
let root = "\(#filePath)".split(separator: "/").dropLast(3).map(String.init)
let rootPackage = root.last!

func product(_ name: String) -> Target.Dependency { .product(name: name, package: rootPackage) }

/// Each target's module and its dependencies.
let targets: [(name: String, uses: [String])] = [
    ("pointer", ["Workspace"]), ("file-manifest", ["Store"]), ("dir-top", ["Store"]), ("dir-piece", ["Store"]),
    ("pack-index", ["ObjectStore"]), ("multi-index", ["ObjectStore"]), ("record-header", ["ObjectStore"]), ("settings", ["GitBridge"]),
    ("stat-cache", ["Store"]), ("json", []), ("note", ["Lineage"]), ("yaml", ["Lineage"]),
    ("profile", ["Store", "ObjectStore", "Profiling"]),
]

let package = Package(
    name: "git-mlops-fuzz",
    products: targets.map { .executable(name: "fuzz-" + $0.name, targets: ["fuzz-" + $0.name]) },
    dependencies: [.package(path: "/" + root.joined(separator: "/"))],
    targets: [
        /// Seeds written into the corpus, scratch files, input as bytes: what every target shares.
        .target(name: "FuzzSupport", dependencies: [product("MLOpsBasics"), product("ParserSeeds")]),
    ] + targets.map { t in
        .executableTarget(name: "fuzz-" + t.name, dependencies: ["FuzzSupport", product("MLOpsBasics")] + t.uses.map(product),
                          path: "Targets/" + t.name)
    },
    swiftLanguageVersions: [.v5]
)
