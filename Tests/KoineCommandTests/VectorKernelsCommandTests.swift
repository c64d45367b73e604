import Foundation
import KoineTestSupport
import XCTest

/// `KOINE_SIMD` through the built binary: a run trains to the same bits
/// with eight-lane and sixteen-lane kernels, and a request that cannot be
/// honoured stops the command with one line before it writes anything.
final class VectorKernelsCommandTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory("koine-kernels")
        try TrainCommandTests.tiny.write(to: directory.appendingPathComponent("tiny.yaml"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    func train(kernels: String, out: String) throws -> ProcessResult {
        // Hidden 20: gate rows of 80 columns (the wide row products' tiles and
        // strips) and 20 units (the activations' whole and partial lanes).
        try runKoine(["train", "--config", directory.appendingPathComponent("tiny.yaml").path,
                      "--out", directory.appendingPathComponent(out).path, "--telemetry", "none", "--quiet",
                      "--set", "agents.hidden=20"],
                     environment: ["KOINE_SIMD": kernels, "OPENBLAS_NUM_THREADS": "1"], timeout: 120)
    }

    func testAnUnknownNameIsAUsageError() throws {
        let result = try train(kernels: "sse4", out: "run")
        XCTAssertEqual(result.status, 2, result.standardError)
        XCTAssertEqual(result.standardError, "koine: KOINE_SIMD=sse4: expected avx2 or avx512\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("run").path))
    }

    func testBothWidthsTrainTheSameBits() throws {
        let narrow = try train(kernels: "avx2", out: "avx2")
        XCTAssertEqual(narrow.status, 0, narrow.standardError)
        let wide = try train(kernels: "avx512", out: "avx512")
        guard wide.status == 0 else {
            // Only a processor without AVX-512 may refuse, and then as the environment's failure.
            XCTAssertEqual(wide.status, 1, wide.standardError)
            XCTAssertTrue(wide.standardError.hasPrefix("koine: KOINE_SIMD=avx512: this processor"), wide.standardError)
            XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("avx512").path))
            throw XCTSkip("this processor does not run AVX-512: the refusal was checked, not the wide kernels")
        }
        let figures = try ["avx2", "avx512"].map { try RunFiles.summary(directory.appendingPathComponent($0).path) }
        for key in ["parameters_checksum", "accuracy", "topsim", "entropy"] {
            XCTAssertEqual("\(figures[0][key] ?? "missing")", "\(figures[1][key] ?? "missing")", key)
        }
        let lexicons = try ["avx2", "avx512"].map {
            try String(contentsOf: directory.appendingPathComponent($0).appendingPathComponent("lexicon.tsv"), encoding: .utf8)
        }
        XCTAssertEqual(lexicons[0], lexicons[1])
    }
}
