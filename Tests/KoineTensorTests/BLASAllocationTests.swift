import CAllocationCounter
import CBLAS
import XCTest
@testable import KoineTensor

/// `BLAS.gemm` allocates nothing on any product, whichever kernels OpenBLAS
/// picked for this processor: the products its AVX-512 small-matrix kernels
/// would allocate for run in `SmallProducts` instead. `scripts/test-kernels`
/// runs this suite once per kernel family the processor can execute
/// (`OPENBLAS_CORETYPE`), so each family's rule is checked where it applies.
final class BLASAllocationTests: XCTestCase {
    var savedThreads = 1

    override func setUp() {
        savedThreads = BLAS.threads
        BLAS.threads = 1  // a threaded OpenBLAS allocates when it splits a product
    }

    override func tearDown() { BLAS.threads = savedThreads }

    /// Shapes around every edge of the rule: inner dimension 31/32, columns
    /// of C around multiples of 16 (tails of 0, 1, 8 and 9), and products on
    /// either side of 100³ multiply-adds.
    static let shapes: [GemmShape] = {
        var shapes: [GemmShape] = []
        for m in [1, 4, 33, 100, 101, 256] {
            for n in [1, 4, 8, 9, 16, 17, 24, 25, 32, 100] {
                for k in [1, 27, 31, 32, 36, 100, 300] {
                    for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                        shapes.append(GemmShape(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB))
                    }
                }
            }
        }
        return shapes
    }()

    struct Operands {
        let a: Matrix, b: Matrix, c: Matrix, shape: GemmShape
    }

    func operands(_ arena: Arena) -> [Operands] {
        var random = Random(seed: 7)
        return Self.shapes.map { s in
            let a = s.transposeA ? arena.matrix(rows: s.k, columns: s.m) : arena.matrix(rows: s.m, columns: s.k)
            let b = s.transposeB ? arena.matrix(rows: s.n, columns: s.k) : arena.matrix(rows: s.k, columns: s.n)
            for matrix in [a, b] { for r in 0..<matrix.rows { for j in 0..<matrix.columns { matrix[r, j] = random.nextFloat() - 0.5 } } }
            return Operands(a: a, b: b, c: arena.matrix(rows: s.m, columns: s.n), shape: s)
        }
    }

    /// Allocations over `call`, the fewest of up to three attempts (other
    /// suites' threads share the process-wide counter; a real allocation
    /// shows in every attempt).
    func allocations(_ call: () -> Void) -> UInt64 {
        var fewest = UInt64.max
        for _ in 0..<3 {
            let before = koine_allocation_count()
            call()
            fewest = min(fewest, koine_allocation_count() - before)
            if fewest == 0 { break }
        }
        return fewest
    }

    func testNoProductAllocates() {
        let arena = Arena()
        let all = operands(arena)
        for beta: Float in [0, 1] {
            for o in all { BLAS.gemm(o.a, transposeA: o.shape.transposeA, o.b, transposeB: o.shape.transposeB, into: o.c, beta: beta) }
            for o in all {
                let count = allocations {
                    BLAS.gemm(o.a, transposeA: o.shape.transposeA, o.b, transposeB: o.shape.transposeB, into: o.c, beta: beta)
                }
                XCTAssertEqual(count, 0, "\(o.shape) beta \(beta) allocated with OpenBLAS's \(OpenBLASKernels.coreName) kernels")
            }
        }
    }

    /// The rule `BLAS.gemm` steers by is the library's: raw `cblas_sgemm`
    /// allocates on exactly the shapes `OpenBLASKernels.allocates` names. A
    /// newer OpenBLAS that allocates elsewhere, or no longer does, fails here.
    func testTheRuleIsTheLibrarys() {
        let arena = Arena()
        var disagreements: [String] = []
        for o in operands(arena) {
            let s = o.shape
            func raw() {
                cblas_sgemm(CblasRowMajor, s.transposeA ? CblasTrans : CblasNoTrans, s.transposeB ? CblasTrans : CblasNoTrans,
                            Int32(s.m), Int32(s.n), Int32(s.k), 1, o.a.base, Int32(o.a.stride), o.b.base, Int32(o.b.stride),
                            0, o.c.base, Int32(o.c.stride))
            }
            raw()
            let allocated = allocations(raw) > 0
            let predicted = OpenBLASKernels.allocates(m: s.m, n: s.n, k: s.k, transposeA: s.transposeA, transposeB: s.transposeB)
            if allocated != predicted { disagreements.append("\(s): allocates \(allocated), rule says \(predicted)") }
        }
        XCTAssertTrue(disagreements.isEmpty, "OpenBLAS \(OpenBLASKernels.coreName): \(disagreements.count) shapes: \(disagreements.prefix(8))")
    }

    /// Names the kernels in the test log (`scripts/test-kernels` reads it).
    func testReportsTheKernelsInUse() {
        print("OpenBLAS kernels: \(OpenBLASKernels.coreName)")
        XCTAssertFalse(OpenBLASKernels.coreName.isEmpty)
    }

    /// Under `scripts/test-kernels`, the kernels asked for are the ones in use
    /// (OpenBLAS falls back silently when the processor lacks them).
    func testTheKernelsAskedForAreInUse() throws {
        guard let expected = ProcessInfo.processInfo.environment["KOINE_EXPECT_OPENBLAS_CORE"] else {
            throw XCTSkip("KOINE_EXPECT_OPENBLAS_CORE is not set (scripts/test-kernels sets it)")
        }
        XCTAssertEqual(OpenBLASKernels.coreName.lowercased(), expected.lowercased())
    }
}
