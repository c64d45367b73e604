import CBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Matrix products through OpenBLAS. Every product in Koine goes through
/// `gemm`, so the engine's speed is BLAS's speed plus thin elementwise work.
public enum BLAS {
    /// `c = alpha · op(a) · op(b) + beta · c`, where op transposes when asked.
    @inlinable
    public static func gemm(
        _ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false,
        into c: Matrix, alpha: Float = 1, beta: Float = 0
    ) {
        let m = c.rows, n = c.columns
        let k = transposeA ? a.rows : a.columns
        assert((transposeA ? a.columns : a.rows) == m, "gemm: rows of op(a) \(transposeA ? a.columns : a.rows) != \(m)")
        assert((transposeB ? b.rows : b.columns) == n, "gemm: columns of op(b) != \(n)")
        assert((transposeB ? b.columns : b.rows) == k, "gemm: inner dimensions differ")
        if m == 0 || n == 0 { return }
        if let recorder { recorder(GemmShape(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)) }
        if k == 0 {
            if beta != 1 { scaleOrZero(c, beta) }
            return
        }
        // Products OpenBLAS would allocate for run here too, so no step
        // allocates whichever kernels the processor gets.
        if usesSmallProducts && (SmallProducts.handles(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
                                 || OpenBLASKernels.allocates(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)) {
            SmallProducts.gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: c, alpha: alpha, beta: beta)
            return
        }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k),
            alpha, a.base, Int32(a.stride), b.base, Int32(b.stride),
            beta, c.base, Int32(c.stride))
    }

    /// Small products run through `SmallProducts` (no packing, no
    /// allocation); false sends every product to OpenBLAS, to compare the two.
    nonisolated(unsafe) public static var usesSmallProducts = true

    /// Sees the shape of every product while set (benchmarks count FLOPs and
    /// replay the same products through raw sgemm); nil in training.
    nonisolated(unsafe) public static var recorder: ((GemmShape) -> Void)?

    @usableFromInline
    static func scaleOrZero(_ c: Matrix, _ beta: Float) {
        for r in 0..<c.rows {
            let p = c.row(r)
            for j in 0..<c.columns { p[j] = beta == 0 ? 0 : p[j] * beta }
        }
    }

    /// Makes this thread treat subnormal floats as zero (see shim.h).
    public static func flushSubnormals() { koine_flush_subnormals() }

    /// Prepares the calling thread to train: `threads` OpenBLAS threads
    /// (default: `OPENBLAS_NUM_THREADS`, else one, as ranks sharing a host
    /// should use) and subnormal floats flushed to zero, as TensorFlow does on
    /// CPU — late in training, Adam's decaying moments and tiny gradients turn
    /// subnormal and each operation on them costs ~100 cycles (a 10-listener
    /// run went 27% faster at step 140,000).
    public static func prepareComputeThread(threads: Int? = nil) {
        self.threads = threads ?? getenv("OPENBLAS_NUM_THREADS").flatMap { Int(String(cString: $0)) } ?? 1
        flushSubnormals()
    }

    /// OpenBLAS's thread count. Ranks sharing a host should each use one.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }
}

/// The shape of one matrix product: `m × k` times `k × n`.
public struct GemmShape: Hashable {
    public var m: Int
    public var n: Int
    public var k: Int
    public var transposeA: Bool
    public var transposeB: Bool

    public var flops: Int { 2 * m * n * k }

    @inlinable
    public init(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool) {
        self.m = m
        self.n = n
        self.k = k
        self.transposeA = transposeA
        self.transposeB = transposeB
    }
}
