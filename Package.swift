// swift-tools-version:6.0
import Foundation
import PackageDescription

// Release builds drop bounds and overflow checks in the numeric modules: their
// hot loops are over raw buffers whose sizes are fixed when they are allocated.
// On x86-64 they also use AVX2 (Haswell, 2013, and later), which doubles the
// width of the vectorised elementwise kernels; KOINE_PORTABLE=1 at build time
// leaves it out for older processors, and KOINE_TARGET_CPU=NAME builds for
// another processor instead (skylake-avx512 for AVX-512, Intel or AMD; such a binary
// stops with "illegal instruction" on a node without it).
#if arch(x86_64)
let environment = ProcessInfo.processInfo.environment
let vectorFlags = environment["KOINE_PORTABLE"] != nil ? []
    : ["-target-cpu", environment["KOINE_TARGET_CPU"] ?? "haswell"]
#else
let vectorFlags: [String] = []
#endif
// Without errno, a square root is one instruction the compiler can vectorise
// (with it, every sqrtf keeps a scalar libm fallback); nothing reads errno.
func numericSettings(_ targetFlags: [String]) -> [SwiftSetting] {
    [.unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked", "-Xcc", "-fno-math-errno"] + targetFlags,
                  .when(configuration: .release))]
}
let numeric = numericSettings(vectorFlags)
// The sixteen-lane kernels are built for AVX-512 whatever the rest is built
// for: KoineTensor runs them only on processors that have it (VectorKernels).
#if arch(x86_64)
let wide = numericSettings(["-target-cpu", "skylake-avx512"])
#else
let wide = numericSettings([])
#endif

let package = Package(
    name: "Koine",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "koine", targets: ["koine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    ],
    targets: [
        // System libraries, found through pkg-config.
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZMQ", pkgConfig: "libzmq",
                       providers: [.apt(["libzmq3-dev"])]),
        // PNG, JPEG and gzip for the image data sets; libjpeg and zlib sit in
        // the default include path, so pkg-config only finds libpng's.
        .systemLibrary(name: "CImageCodecs", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev", "libjpeg-dev", "zlib1g-dev"])]),

        // Layers of Koine, lowest first.
        // Whether the processor runs AVX-512, and the kernels that use it.
        .target(name: "CProcessor"),
        .target(name: "KoineAVX512", swiftSettings: wide),
        .target(name: "KoineTensor", dependencies: ["CBLAS", "CProcessor", "KoineAVX512"], swiftSettings: numeric),
        .target(name: "KoineGame", dependencies: ["KoineTensor", "CImageCodecs"], swiftSettings: numeric),
        // The communicator protocol and its single-process implementation; MPI
        // lives apart so only what runs under mpirun links it.
        .target(name: "KoineCluster"),
        .target(name: "KoineMPI", dependencies: ["KoineCluster", "CMPI"]),
        // What ranks link: the event schema, sinks and the ZeroMQ publisher.
        .target(name: "KoineTelemetry", dependencies: ["CZMQ"]),
        // The collector, its SQLite store and the reports.
        .target(name: "KoineCollector", dependencies: [
            "KoineTelemetry", "CZMQ", .product(name: "GRDB", package: "GRDB.swift"),
            // The collector's hot insert calls SQLite's C API directly.
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        // Launching ranks and checking a cluster: mpirun plans, the collector
        // beside them, the doctor.
        .target(name: "KoineLaunch", dependencies: ["KoineCluster", "KoineTelemetry"]),
        // Studies over many runs: sweep plans and their execution, statistics,
        // comparisons and SVG charts. Foundation only: it reads run directories,
        // never links the trainer, so `koine report` can draw with it too.
        .target(name: "KoineStudy", dependencies: ["Yams"]),
        .target(name: "KoineTrainer", dependencies: [
            "KoineTensor", "KoineGame", "KoineCluster", "KoineTelemetry", "Yams", "CImageCodecs",
        ], swiftSettings: numeric),
        // What `koine bench` measures, callable by tests; the command only parses and prints.
        .target(name: "KoineBench", dependencies: [
            "KoineTensor", "KoineGame", "KoineCluster", "KoineTelemetry", "KoineTrainer", "CBLAS", "CZMQ",
        ]),
        .executableTarget(name: "koine", dependencies: [
            "KoineTensor", "KoineGame", "KoineCluster", "KoineMPI", "KoineTelemetry", "KoineCollector",
            "KoineLaunch", "KoineTrainer", "KoineStudy", "KoineBench",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // The configuration reader under libFuzzer (scripts/fuzz-config);
        // built plainly, it replays the inputs it is given.
        .executableTarget(name: "koine-fuzz-config", dependencies: ["KoineTrainer"], path: "Tests/Fuzz/ConfigReader"),

        // Counts malloc calls so tests can prove the hot path allocates nothing.
        .target(name: "CAllocationCounter", path: "Tests/CAllocationCounter"),
        // Finds the built `koine` and runs child processes for end-to-end tests.
        .target(name: "KoineTestSupport", path: "Tests/KoineTestSupport"),

        .testTarget(name: "KoineTensorTests", dependencies: ["KoineTensor", "CBLAS", "CAllocationCounter"]),
        .testTarget(name: "KoineGameTests", dependencies: ["KoineGame", "KoineTensor", "CImageCodecs", "CAllocationCounter"]),
        .testTarget(name: "KoineClusterTests", dependencies: ["KoineCluster", "KoineMPI", "CAllocationCounter"]),
        .testTarget(name: "KoineLaunchTests", dependencies: ["KoineLaunch", "KoineCluster", "KoineTelemetry", "KoineTestSupport"]),
        // The publisher and the collector tested together, end to end.
        .testTarget(name: "KoineTelemetryTests", dependencies: [
            "KoineTelemetry", "KoineCollector", "CZMQ", "KoineTestSupport",
            // To write rows no collector would, as a damaged or foreign database holds them.
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "KoineTrainerTests", dependencies: ["KoineTrainer", "KoineGame", "KoineTensor", "KoineCluster", "KoineTestSupport", "CAllocationCounter"]),
        .testTarget(name: "KoineStudyTests", dependencies: ["KoineStudy", "KoineTestSupport"]),
        .testTarget(name: "KoineBenchTests", dependencies: ["KoineBench", "KoineGame", "KoineTensor", "KoineCluster"]),
        .testTarget(name: "KoineCommandTests", dependencies: ["CMPI", "CBLAS", "CZMQ", "KoineTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
