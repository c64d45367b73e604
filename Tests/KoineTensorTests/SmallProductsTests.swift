import CBLAS
import XCTest
@testable import KoineTensor

/// Koine's small-product kernels against OpenBLAS on the same operands: every
/// edge of the tiles (rows 1–17 around the 4- and 8-row tiles, columns around
/// the 8- and 24-wide tiles, inner dimensions around the 8-wide vectors), row strides
/// wider than the rows, and alpha and beta as the layers pass them.
final class SmallProductsTests: XCTestCase {
    struct Operands {
        let a: [Float], b: [Float], c: [Float]
        let m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool
        // Each matrix sits in rows wider than it (3 spare Floats) past a
        // guard band, so reading or writing outside it shows.
        let aRows: Int, aColumns: Int, bRows: Int, bColumns: Int
        var aStride: Int { aColumns + 3 }
        var bStride: Int { bColumns + 3 }
        var cStride: Int { n + 3 }

        init(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, random: inout Random) {
            self.m = m; self.n = n; self.k = k; self.transposeA = transposeA; self.transposeB = transposeB
            (aRows, aColumns) = transposeA ? (k, m) : (m, k)
            (bRows, bColumns) = transposeB ? (n, k) : (k, n)
            func values(_ count: Int) -> [Float] { (0..<count).map { _ in random.nextFloat() * 2 - 1 } }
            a = values(aRows * (aColumns + 3) + 16)
            b = values(bRows * (bColumns + 3) + 16)
            c = values(m * (n + 3) + 16)
        }

        /// C's whole buffer after `SmallProducts.gemm` (called directly, whatever `handles` says) with `kernels`.
        func smallProduct(alpha: Float, beta: Float, kernels: VectorKernels = .selected) -> [Float] {
            var a = a, b = b, c = c
            a.withUnsafeMutableBufferPointer { a in
                b.withUnsafeMutableBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        SmallProducts.gemm(
                            Matrix(a.baseAddress!, rows: aRows, columns: aColumns, stride: aStride), transposeA: transposeA,
                            Matrix(b.baseAddress!, rows: bRows, columns: bColumns, stride: bStride), transposeB: transposeB,
                            into: Matrix(c.baseAddress!, rows: m, columns: n, stride: cStride), alpha: alpha, beta: beta,
                            kernels: kernels)
                    }
                }
            }
            return c
        }
    }

    /// `SmallProducts.gemm` (called directly, whatever `handles` says) and
    /// `cblas_sgemm` agree to Float rounding over sums of k products of
    /// values in [−1, 1] (1e-5 per term), and nothing outside C changes.
    func check(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, alpha: Float = 1, beta: Float = 0,
               random: inout Random, file: StaticString = #filePath, line: UInt = #line) {
        let operands = Operands(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, random: &random)
        let a = operands.a, b = operands.b
        var expected = operands.c
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(operands.aStride),
                    b, Int32(operands.bStride), beta, &expected, Int32(operands.cStride))
        let c = operands.smallProduct(alpha: alpha, beta: beta)
        for i in 0..<expected.count {
            let row = i / operands.cStride, column = i % operands.cStride
            let inside = row < m && column < n
            // Outside C nothing may change.
            let tolerance: Float = inside ? 1e-5 * (Float(k) + 1) * (abs(alpha) + abs(beta)) : 0
            let difference = abs(c[i] - expected[i])
            if difference > tolerance {
                XCTFail("\(transposeA ? "T" : "N")\(transposeB ? "T" : "N") \(m)×\(k)·\(k)×\(n) alpha \(alpha) beta \(beta): "
                        + "element \(row),\(column) is \(c[i]), OpenBLAS \(expected[i])", file: file, line: line)
                return
            }
        }
    }

    func testEveryTileEdgeAgainstOpenBLAS() {
        var random = Random(seed: 7)
        for (transposeA, transposeB) in [(false, false), (true, false), (false, true)] {
            for m in [1, 2, 3, 4, 5, 7, 8, 9, 17] {
                for n in [1, 5, 8, 9, 23, 24, 25, 31, 33, 50] {
                    for k in [1, 3, 8, 9, 17] {
                        check(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, random: &random)
                    }
                }
            }
        }
    }

    func testAlphaAndBeta() {
        var random = Random(seed: 8)
        for (transposeA, transposeB) in [(false, false), (true, false), (false, true)] {
            for (alpha, beta) in [(1, 1), (0.5, 0), (-1, 1), (2, -0.25)] as [(Float, Float)] {
                check(m: 6, n: 27, k: 11, transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta,
                      random: &random)
            }
        }
    }

    /// The shapes of the attribute game's agents (hidden 100, 8 symbols,
    /// 32 objects, up to 64 messages).
    func testTheGameShapes() {
        var random = Random(seed: 9)
        let shapes: [(Int, Int, Int, Bool, Bool)] = [
            (8, 400, 100, false, false), (55, 100, 100, false, false), (100, 100, 55, true, false),
            (100, 400, 8, true, false), (8, 100, 400, false, true),
            (32, 400, 100, false, false), (100, 400, 32, true, false), (32, 100, 400, false, true),
            (85, 8, 100, false, false), (100, 8, 85, true, false), (12, 100, 32, true, false),
        ]
        for (m, n, k, transposeA, transposeB) in shapes {
            XCTAssertTrue(SmallProducts.handles(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB),
                          "\(m)×\(k)·\(k)×\(n) should run in the small kernels")
            check(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, beta: 1, random: &random)
        }
    }

    /// Large products, short dot products and the doubly transposed form stay with OpenBLAS.
    func testLargeProductsGoToOpenBLAS() {
        XCTAssertFalse(SmallProducts.handles(m: 128, n: 1024, k: 256, transposeA: false, transposeB: false))
        XCTAssertFalse(SmallProducts.handles(m: 512, n: 512, k: 512, transposeA: false, transposeB: false))
        XCTAssertFalse(SmallProducts.handles(m: 4, n: 4, k: 4, transposeA: true, transposeB: true))
        XCTAssertFalse(SmallProducts.handles(m: 85, n: 100, k: 8, transposeA: false, transposeB: true))
    }
}
