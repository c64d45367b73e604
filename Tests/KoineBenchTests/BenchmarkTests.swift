import Foundation
import KoineBench
import KoineCluster
import KoineGame
import KoineTensor
import XCTest

/// Every benchmark of `koine bench` runs at tiny sizes and gives sane figures:
/// positive rates, shares where shares belong, and products counted as the
/// report prints them. No timed assertion: speed targets live in the benchmarks.
final class BenchmarkTests: XCTestCase {
    func testLSTMCountsItsSixProductsAndTimesBothPaths() throws {
        let result = LSTMBenchmark(batch: 4, input: 3, hidden: 5).run(steps: 3, rounds: 2)
        XCTAssertEqual(result.products.count, 6)
        XCTAssertEqual(result.flops, result.products.reduce(0) { $0 + 2 * $1.m * $1.n * $1.k })
        // 24·B·H·(I+H), as the command's help says.
        XCTAssertEqual(result.flops, 24 * 4 * 5 * (3 + 5))
        XCTAssertEqual(result.engine.count, 2)
        XCTAssertEqual(result.sgemm.count, 2)
        for seconds in result.engine + result.sgemm { assertPositive(seconds) }
        XCTAssertTrue(result.table(threads: 1).contains("FLOPs per step: 3,840 = Σ 2·m·n·k"))
        let json = try object(result.json(threads: 1))
        XCTAssertEqual(json["flops_per_step"] as? Int, result.flops)
        assertPositive(json["ratio"] as? Double)
    }

    func testGameCountsProductsAsTheReportPrintsThem() throws {
        let result = try GameBenchmark(listeners: 2, steps: 3, warmup: 1, rounds: 2).run(on: SingleProcessCommunicator())
        XCTAssertFalse(result.shapes.isEmpty)
        assertPositive(result.iterationsPerSecond)
        assertPositive(result.games)
        assertPositive(result.gflops)
        assertPositive(result.sgemmGflops)
        assertPositive(result.referenceGflops)
        assertPositive(result.referenceSgemmGflops)
        XCTAssertEqual(result.ranks, 1)
        // Private encoders: nothing is all-reduced, and the report says nothing of it.
        XCTAssertEqual(result.sharedBytes, 0)
        XCTAssertFalse(result.report.contains("all-reduce"))
        XCTAssertTrue(result.report.contains("FLOPs per iteration       \(result.flops) over \(result.shapes.count) products"))
        XCTAssertTrue(result.report.contains(
            "the reference's iteration \(result.reference.flops) FLOPs over \(result.reference.products.count) products"))
        let json = try object(result.json)
        XCTAssertEqual(json["products_per_iteration"] as? Int, result.shapes.count)
        XCTAssertEqual(json["flops_per_iteration"] as? Int, result.flops)
        XCTAssertEqual(json["listeners"] as? Int, 2)

        var lines: [String] = []
        result.timeEachProduct { lines.append($0) }
        XCTAssertEqual(lines.count, 1 + result.shapes.count)
        XCTAssertFalse(lines.dropFirst().contains { $0.contains("nan") || $0.contains("inf") })
    }

    func testImagesReportsTheAllreduceShare() throws {
        let result = try ImagesBenchmark(mode: .frozenRandom, hidden: 8, steps: 2, warmup: 1, rounds: 1)
            .run(on: SingleProcessCommunicator())
        assertPositive(result.iterationsPerSecond)
        assertPositive(result.games)
        XCTAssertGreaterThan(result.flops, 0)
        assertPositive(result.gflops)
        XCTAssertGreaterThan(result.sharedBytes, 0)
        // One rank: the wait is all but nothing, and no blocking all-reduce is timed.
        XCTAssertGreaterThanOrEqual(result.allreduceShare, 0)
        XCTAssertLessThanOrEqual(result.allreduceShare, 1)
        XCTAssertEqual(result.timing.rawAllreduceSeconds, 0)
        XCTAssertTrue(result.report.contains("matrix-product FLOPs      \(result.flops) per iteration"))
        let json = try object(result.json)
        XCTAssertEqual(json["mode"] as? String, "frozen_random")
        XCTAssertEqual(json["allreduce_bytes"] as? Int, result.sharedBytes)
    }

    func testConvTimesEveryLayerAndItsShareOfTheStack() throws {
        for algorithm in Conv2D.Algorithm.allCases {
            let result = ConvBenchmark(batch: 2, size: 8, channels: 3, widths: [4, 8], convolutions: 2,
                                       algorithm: algorithm, steps: 2, rounds: 2).run()
            XCTAssertEqual(result.layers.count, 4)
            XCTAssertEqual(result.shapes.count, 4)
            XCTAssertGreaterThan(result.products, 0)
            assertPositive(result.gflops)
            assertPositive(result.sgemmGflops)
            assertPositive(result.effective)
            // Each layer's best round summed is at most the stack's best round.
            let share = result.convolutionSeconds / result.stackSeconds
            XCTAssertGreaterThan(share, 0)
            XCTAssertLessThanOrEqual(share, 1)
            if algorithm == .im2col { XCTAssertEqual(result.winogradLayers, 0) }
            if algorithm == .winograd { XCTAssertGreaterThan(result.winogradLayers, 0) }
            XCTAssertTrue(result.report(widths: "4,8").contains(
                "their FLOPs                \(String(format: "%.2f", Double(result.totalFlops) / 1e9)) GFLOP over \(result.products) products"))
            XCTAssertEqual(result.layerTable.split(separator: "\n").count, 1 + 4)
            let json = try object(result.json)
            XCTAssertEqual(json["products"] as? Int, result.products)
            XCTAssertEqual(json["widths"] as? [Int], [4, 8])
        }
    }

    /// One speaker (encoder, 2 steps of hidden and output) and one listener
    /// (encoder, 1 step after the first, query, scores): 2 + 12 + 11 products.
    func testReferenceIterationCountsByHand() {
        let reference = ReferenceIteration(objects: 2, width: 3, batch: 4, hidden: 5, vocabulary: 6, length: 2,
                                           candidates: 2, listeners: 1)
        XCTAssertEqual(reference.products.count, 25)
        let gates = 20
        let speaker = 2 * (2 * 2 * 3 * 5) + 2 * 3 * (2 * 4 * 5 * gates + 2 * 4 * 5 * 6)
        let listener = 2 * (2 * 2 * 3 * 5) + 3 * (2 * 4 * 5 * gates) + 3 * (2 * 4 * 5 * 5) + 3 * (2 * 4 * 5 * 2)
        XCTAssertEqual(reference.flops, speaker + listener)
    }

    func testStepTimingKeepsTheWaitOfTheBestRound() throws {
        let timing = try StepTiming(communicator: SingleProcessCommunicator(), steps: 4, rounds: 3, gradients: nil,
                                    count: 0) { 0.25 }
        assertPositive(timing.seconds)
        XCTAssertEqual(timing.allreduceSeconds, 1)
        XCTAssertEqual(timing.rawAllreduceSeconds, 0)
    }

    func testSgemmReplayTimesBothWays() {
        let shapes = [GemmShape(m: 3, n: 4, k: 5, transposeA: false, transposeB: true),
                      GemmShape(m: 5, n: 4, k: 3, transposeA: true, transposeB: false)]
        let replay = SgemmReplay(fitting: shapes)
        defer { replay.deallocate() }
        assertPositive(replay.time(shapes, iterations: 3, rounds: 2))
        assertPositive(replay.time(shapes, iterations: 3, rounds: 2, koine: true))
    }

    func testLinkChecksPass() throws {
        XCTAssertTrue(try LinkCheck.blas().hasPrefix("cblas_sgemm 2×3·3×2 = [58, 64, 139, 154]"))
        XCTAssertTrue(try LinkCheck.zeroMQ().hasPrefix("PAIR over inproc://koine-link-check: ping → pong"))
    }

    private func assertPositive(_ value: Double?, file: StaticString = #filePath, line: UInt = #line) {
        guard let value else { return XCTFail("no value", file: file, line: line) }
        XCTAssertTrue(value.isFinite && value > 0, "\(value)", file: file, line: line)
    }

    private func object(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }
}
