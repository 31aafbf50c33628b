// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "git-mlops",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "git-mlops", targets: ["git-mlops"]),
        // For the fuzz targets (scripts/fuzz), which build this package as a dependency.
        .library(name: "MLOpsBasics", targets: ["MLOpsBasics"]),
        .library(name: "ObjectStore", targets: ["ObjectStore"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "GitBridge", targets: ["GitBridge"]),
        .library(name: "Workspace", targets: ["Workspace"]),
        .library(name: "Lineage", targets: ["Lineage"]),
        .library(name: "Profiling", targets: ["Profiling"]),
        .library(name: "ParserSeeds", targets: ["ParserSeeds"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // MARK: C shims
        /// libgit2, reached only through GitBridge.
        .systemLibrary(name: "CLibGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        /// libzstd, reached only through ObjectStore's codec (and Profiling's readers).
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        /// zlib, for reading `.gz` data in Profiling.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        /// The hot loops in C, SIMD where the CPU has it: byte planes, the gear scan, the entropy probe, multi-buffer SHA-256, profiling.
        .target(name: "CKernels"),

        // MARK: Core
        /// Errors, hashing, atomic file I/O, locks, processes and terminal output shared by every layer.
        .target(name: "MLOpsBasics", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        /// The object database: ids and their bytes in packs (codec, pack and index formats, multi-pack index, writer, repack, verification). Knows nothing of files.
        .target(name: "ObjectStore", dependencies: ["MLOpsBasics", "CZstd", "CKernels"]),
        /// The cache as files and directories: chunker, manifests, ingest, hashing, materialize, stat cache, closure, fsck. Knows nothing of git.
        .target(name: "Store", dependencies: ["MLOpsBasics", "ObjectStore", "CKernels"]),
        /// The only code that touches libgit2: repository discovery, config, refs, trees, blobs, notes.
        .target(name: "GitBridge", dependencies: ["MLOpsBasics", "CLibGit2"]),

        /// Streaming readers (CSV, TSV, JSON Lines, .npy) and mergeable column profiles with sketches and drift statistics.
        .target(name: "Profiling", dependencies: ["MLOpsBasics", "CKernels", "CZstd", "CZlib"]),

        // MARK: Remotes
        /// AWS Signature Version 4 and a small S3 object client on Foundation's URLSession.
        .target(name: "S3", dependencies: ["MLOpsBasics", .product(name: "Crypto", package: "swift-crypto")]),
        /// Moves packs between a local store and a remote (directory or S3): what is missing, range reads, retries.
        .target(name: "Transfer", dependencies: ["MLOpsBasics", "ObjectStore", "Store", "S3"]),

        // MARK: Features
        /// A repository under git-mlops: config, pointers, add, status, checkout, diff, gc, fsck, push, fetch, hooks.
        .target(name: "Workspace", dependencies: ["MLOpsBasics", "ObjectStore", "Store", "GitBridge", "Transfer", "Profiling"]),
        /// Pipelines (mlops.yaml), run records in git notes, log, lineage, params and metrics, reproduce.
        .target(name: "Lineage", dependencies: ["MLOpsBasics", "Store", "GitBridge", "Workspace", "Yams"]),
        /// The model catalog in GTO-format git tags: versions, stages, promotion gates, signatures, audit trail.
        .target(name: "Catalog", dependencies: ["MLOpsBasics", "GitBridge", "Workspace", "Lineage"]),
        /// Checks of stored data (mlops.yaml `checks:`), drift against the data a stage last read, and metric gates, for the hooks and the catalog's promotions.
        .target(name: "Validation", dependencies: ["MLOpsBasics", "Store", "GitBridge", "Workspace", "Lineage", "Catalog", "Profiling"]),

        /// The static HTML report: runs, metric trends, diffs, lineage graphs and plots as plain HTML and inline SVG.
        .target(name: "Report", dependencies: ["MLOpsBasics", "Store", "GitBridge", "Workspace", "Lineage"]),
        /// Live records of a model version against its training data: drift, live metrics, latency, OpenMetrics, snapshot notes.
        .target(name: "Monitoring", dependencies: ["MLOpsBasics", "GitBridge", "Workspace", "Lineage", "Catalog", "Profiling"]),

        // MARK: Interface
        /// One thin ArgumentParser command per file.
        .target(name: "Commands", dependencies: [
            "MLOpsBasics", "GitBridge", "Workspace", "Lineage", "Catalog", "Report", "Profiling", "Monitoring", "Validation",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        /// The `git-mlops` executable: the entry point only.
        .executableTarget(name: "git-mlops", dependencies: ["Commands"]),

        // MARK: Tests
        /// Helpers shared by the test targets (temporary directories, deterministic data, a remote in memory).
        .target(name: "TestSupport", dependencies: ["MLOpsBasics", "Transfer"], path: "Tests/TestSupport"),
        /// Valid encodings of every format read from outside, for the parser property tests and the fuzz targets.
        .target(name: "ParserSeeds", dependencies: ["MLOpsBasics", "ObjectStore", "Store", "Workspace", "Lineage", "Profiling"], path: "Tests/ParserSeeds"),
        .testTarget(name: "MLOpsBasicsTests", dependencies: ["MLOpsBasics", "TestSupport"]),
        .testTarget(name: "ObjectStoreTests", dependencies: ["ObjectStore", "MLOpsBasics", "TestSupport"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "ObjectStore", "MLOpsBasics", "CKernels", "TestSupport", "ParserSeeds"]),
        .testTarget(name: "S3Tests", dependencies: ["S3", "MLOpsBasics", "TestSupport"]),
        .testTarget(name: "TransferTests", dependencies: ["Transfer", "ObjectStore", "Store", "MLOpsBasics", "TestSupport"]),
        .testTarget(name: "WorkspaceTests", dependencies: ["Workspace", "Store", "GitBridge", "MLOpsBasics", "TestSupport", "ParserSeeds", "Profiling"]),
        .testTarget(name: "LineageTests", dependencies: ["Lineage", "Workspace", "GitBridge", "MLOpsBasics", "TestSupport", "ParserSeeds", "Yams"]),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog", "GitBridge", "Lineage", "MLOpsBasics"]),
        .testTarget(name: "GitBridgeTests", dependencies: ["GitBridge", "MLOpsBasics", "TestSupport"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Lineage", "MLOpsBasics"]),
        .testTarget(name: "MonitoringTests", dependencies: ["Monitoring", "Profiling", "MLOpsBasics", "TestSupport"]),
        .testTarget(name: "ValidationTests", dependencies: ["Validation", "Lineage", "Profiling", "MLOpsBasics", "TestSupport"]),
        .testTarget(name: "ProfilingTests", dependencies: ["Profiling", "CKernels", "MLOpsBasics", "TestSupport", "CZlib", "CZstd"]),
        /// The command tree, man pages, completion and "did you mean", without the binary.
        .testTarget(name: "CommandsTests", dependencies: ["Commands", "MLOpsBasics", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        /// Drives the real `git` and the built `git-mlops` in sealed temporary repositories.
        /// (Store only to forge the objects an attacker's repository holds.)
        .testTarget(name: "IntegrationTests", dependencies: ["MLOpsBasics", "ObjectStore", "Store", "TestSupport"], exclude: ["HelpText"]),
    ],
    swiftLanguageModes: [.v5]
)
