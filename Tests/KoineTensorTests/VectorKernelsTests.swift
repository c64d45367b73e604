import XCTest
@testable import KoineTensor
#if arch(x86_64)
import KoineAVX512
#endif

/// The sixteen-lane kernels (`KoineAVX512`) against the eight-lane ones, bit
/// for bit: the same operands through both widths give the same Floats, so a
/// run's numbers do not depend on which width the processor gets. The
/// comparisons need a processor with AVX-512 and are skipped, saying so,
/// without one; the choice of kernels is checked everywhere.
final class VectorKernelsTests: XCTestCase {
    func testChoiceFollowsTheRequestAndTheProcessor() {
        XCTAssertEqual(VectorKernels.choose(requested: nil, processorRunsAVX512: true), .avx512)
        XCTAssertEqual(VectorKernels.choose(requested: nil, processorRunsAVX512: false), .avx2)
        XCTAssertEqual(VectorKernels.choose(requested: "avx2", processorRunsAVX512: true), .avx2)
        XCTAssertEqual(VectorKernels.choose(requested: "avx512", processorRunsAVX512: true), .avx512)
        // Refused requests fall back to eight lanes (the command stops first, with the refusal's line).
        XCTAssertEqual(VectorKernels.choose(requested: "avx512", processorRunsAVX512: false), .avx2)
        XCTAssertEqual(VectorKernels.choose(requested: "AVX512", processorRunsAVX512: true), .avx2)
        XCTAssertNil(VectorKernels.refusal(requested: nil, processorRunsAVX512: false))
        XCTAssertNil(VectorKernels.refusal(requested: "avx2", processorRunsAVX512: false))
        XCTAssertEqual(VectorKernels.refusal(requested: "avx512", processorRunsAVX512: false), .processorLacksAVX512)
        XCTAssertEqual(VectorKernels.refusal(requested: "sse", processorRunsAVX512: true), .unknownName("sse"))
        XCTAssertEqual(VectorKernels.Refusal.unknownName("sse").line, "KOINE_SIMD=sse: expected avx2 or avx512")
    }

    func requireWideKernels() throws {
        #if arch(x86_64)
        guard VectorKernels.processorRunsAVX512 else {
            throw XCTSkip("this processor does not run AVX-512: only the eight-lane kernels run here")
        }
        #else
        throw XCTSkip("the sixteen-lane kernels are x86-64's")
        #endif
    }

    func assertSameBits(_ a: [Float], _ b: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        if let i = a.indices.first(where: { i in i < b.count && a[i].bitPattern != b[i].bitPattern }) {
            XCTFail("\(what): element \(i) of \(a.count) differs: \(a[i]) against \(b[i])", file: file, line: line)
        }
    }

    #if arch(x86_64)
    func testExponentialSigmoidAndTanhMatchTheScalarFunctions() throws {
        try requireWideKernels()
        // Every 1/64 over ±100 (both clamps), around 0, and values that round at the reduction's edges.
        var inputs = (-6400...6400).map { Float($0) / 64 }
        inputs += [0, -0, 1e-30, -1e-30, 87, -87, 88, -88, 88.7, -103, 1e10, -1e10, .leastNormalMagnitude]
        inputs += (0..<1000).map { Float($0) * 0.6931471 / 7 - 40 }
        let count = inputs.count
        for (name, wide, scalar) in [
            ("exponential", WideMath.exponential, FastMath.exponential),
            ("sigmoid", WideMath.sigmoid, FastMath.sigmoid),
            ("tanh", WideMath.tanh, FastMath.tanh),
        ] as [(String, (UnsafeMutablePointer<Float>, Int) -> Void, (Float) -> Float)] {
            var lanes = inputs
            lanes.withUnsafeMutableBufferPointer { wide($0.baseAddress!, count) }
            assertSameBits(lanes, inputs.map(scalar), name)
        }
    }

    func testRowProductsMatchTheEightLaneKernelsOnEveryTileEdge() throws {
        try requireWideKernels()
        var random = Random(seed: 29)
        // Rows around the 8-row tile, columns around the 16- and 32-wide
        // tiles (from 16, the narrowest the wide kernel takes), inner
        // dimensions short and long, both layouts of A, and alpha and beta as
        // the layers pass them.
        var shapes: [(m: Int, n: Int, k: Int)] = []
        for m in [1, 2, 7, 8, 9, 13, 17, 64, 100] {
            for n in [16, 17, 24, 31, 32, 33, 47, 48, 63, 100, 400] { shapes.append((m, n, [1, 8, 13, 100][(m + n) % 4])) }
        }
        for shape in shapes {
            for transposeA in [false, true] {
                for (alpha, beta) in [(1, 0), (1, 1), (0.5, -1.5)] as [(Float, Float)] {
                    let operands = SmallProductsTests.Operands(m: shape.m, n: shape.n, k: shape.k, transposeA: transposeA,
                                                               transposeB: false, random: &random)
                    let results = [VectorKernels.avx2, .avx512].map { operands.smallProduct(alpha: alpha, beta: beta, kernels: $0) }
                    // The whole buffer: C's elements, and nothing outside C written.
                    assertSameBits(results[0], results[1],
                                   "\(transposeA ? "T" : "N")N \(shape.m)×\(shape.k)·\(shape.k)×\(shape.n) alpha \(alpha) beta \(beta)")
                }
            }
        }
    }

    func testDotProductsMatchTheEightLaneKernelsOnEveryTileEdge() throws {
        try requireWideKernels()
        var random = Random(seed: 31)
        // Rows around the 4-row tile, columns around the 6-column tile and
        // its pairs, inner dimensions around the 8-wide chunks (and the game's 400).
        for m in [1, 3, 4, 5, 8, 13, 32] {
            for n in [1, 2, 5, 6, 7, 12, 13, 100] {
                for k in [1, 7, 8, 9, 31, 256, 257, 400] where (m + n + k) % 3 != 0 || k == 400 {
                    for (alpha, beta) in [(1, 0), (1, 1), (-2, 0.5)] as [(Float, Float)] {
                        let operands = SmallProductsTests.Operands(m: m, n: n, k: k, transposeA: false, transposeB: true,
                                                                   random: &random)
                        let results = [VectorKernels.avx2, .avx512].map { operands.smallProduct(alpha: alpha, beta: beta, kernels: $0) }
                        assertSameBits(results[0], results[1], "NT \(m)×\(k)·\(k)×\(n) alpha \(alpha) beta \(beta)")
                    }
                }
            }
        }
    }

    func testAdamUpdatesMatchOverManySteps() throws {
        try requireWideKernels()
        // Lengths around the 16-lane loop's end; gradients that vary in scale, some zero.
        for count in [1, 15, 16, 17, 33, 1_003] {
            var random = Random(seed: UInt64(count))
            let start = (0..<count).map { _ in random.nextFloat() * 2 - 1 }
            var gradients: [[Float]] = []
            for step in 0..<40 {
                var gradient = [Float](repeating: 0, count: count)
                for i in 0..<count where (i + step) % 5 != 0 {
                    let scale = Float(1 << (i % 9)) * 1e-3
                    gradient[i] = (random.nextFloat() - 0.5) * scale
                }
                gradients.append(gradient)
            }
            let runs = [VectorKernels.avx2, VectorKernels.avx512].map { (kernels: VectorKernels) -> (values: [Float], state: [Float]) in
                let parameters = Parameters(count: count)
                _ = parameters.claim(rows: 1, columns: count, initializer: .zeros)
                parameters.values.update(from: start, count: count)
                let adam = Adam(parameters: parameters, learningRate: 3e-3, kernels: kernels)
                for (step, gradient) in gradients.enumerated() {
                    parameters.gradients.update(from: gradient, count: count)
                    adam.update(clearingGradients: step % 2 == 0)
                }
                return (Array(parameters.valueBuffer), adam.stateBuffers.flatMap { Array($0) } + Array(parameters.gradientBuffer))
            }
            assertSameBits(runs[0].values, runs[1].values, "Adam's parameters, \(count) of them")
            assertSameBits(runs[0].state, runs[1].state, "Adam's moments and gradients, \(count) parameters")
        }
    }

    func testLSTMActivationsMatchForwardAndBackward() throws {
        try requireWideKernels()
        for hidden in [1, 7, 16, 17, 100] {
            for withCell in [false, true] {
                var random = Random(seed: UInt64(hidden))
                let rows = 5
                func values(_ count: Int, scale: Float = 3) -> [Float] { (0..<count).map { _ in (random.nextFloat() * 2 - 1) * scale } }
                let gates = values(rows * 4 * hidden), previous = values(rows * hidden)
                let hiddenGradient = values(rows * hidden, scale: 1), cellGradient = values(rows * hidden, scale: 1)
                let outputs = [VectorKernels.avx2, .avx512].map { kernels -> [Float] in
                    let parameters = Parameters(count: LSTMCell.parameterCount(input: 1, hidden: hidden))
                    let cell = LSTMCell(input: 1, hidden: hidden, parameters: parameters, kernels: kernels)
                    let arena = Arena()
                    let cache = LSTMCell.Cache(batch: rows, hidden: hidden, arena: arena)
                    let hiddenOut = arena.matrix(rows: rows, columns: hidden)
                    let cellIn = arena.matrix(rows: rows, columns: hidden)
                    let dh = arena.matrix(rows: rows, columns: hidden), dc = arena.matrix(rows: rows, columns: hidden)
                    cache.gates.base.update(from: gates, count: gates.count)
                    cellIn.base.update(from: previous, count: previous.count)
                    dh.base.update(from: hiddenGradient, count: hiddenGradient.count)
                    dc.base.update(from: cellGradient, count: cellGradient.count)
                    cell.activate(cellIn: withCell ? cellIn : nil, cache: cache, hiddenOut: hiddenOut)
                    // ∂L/∂c written over ∂L/∂c′, as the unrolled steps do.
                    cell.activationBackward(cellIn: withCell ? cellIn : nil, cache: cache, hiddenGradient: dh,
                                            cellGradient: dc, cellInGradient: dc)
                    return [cache.gates, cache.cell, cache.cellTanh, hiddenOut, cache.gateGradients, dc]
                        .flatMap { Array(UnsafeBufferPointer(start: $0.base, count: $0.rows * $0.columns)) }
                }
                assertSameBits(outputs[0], outputs[1], "LSTM activations, hidden \(hidden), \(withCell ? "with" : "without") a cell state")
            }
        }
    }
    #endif
}
