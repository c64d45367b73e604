import CBLAS

/// The kernels OpenBLAS picked for this processor when it was loaded (a
/// `DYNAMIC_ARCH` build, as Debian's, chooses by CPU; `OPENBLAS_CORETYPE`
/// overrides it), and what Koine must know of them.
public enum OpenBLASKernels {
    /// OpenBLAS's name for the kernels in use: "Haswell", "Zen", "SkylakeX", "Cooperlake", ...
    public static let coreName = String(cString: openblas_get_corename())

    /// Whether plain products (neither operand transposed) of small shapes run
    /// in a kernel that mallocs a scratch block on every call. OpenBLAS
    /// 0.3.21's AVX-512 "small matrix" kernels do (`sgemm_small_kernel_nn`
    /// for SkylakeX and its successors, which copy the columns of B past the
    /// last block of 16 into memory they allocate); its AVX2 kernels
    /// (Haswell, Zen) allocate nothing.
    @usableFromInline
    static let smallPlainKernelAllocates = ["skylakex", "cooperlake", "sapphirerapids"].contains(coreName.lowercased())

    /// Whether `cblas_sgemm` would allocate on this product: a row-major
    /// product with neither operand transposed, inner dimension of 32 or more,
    /// at most 100³ multiply-adds (where OpenBLAS takes its small-matrix path)
    /// and 1 to 8 columns of C past a multiple of 16 (the columns it copies).
    /// The rule was read off every shape up to 130 × 130 × 300, and
    /// `BLASAllocationTests` checks it against the library on every kernel the
    /// machine can run.
    @inlinable
    public static func allocates(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool) -> Bool {
        guard smallPlainKernelAllocates, !transposeA, !transposeB, k >= 32 else { return false }
        let tail = n % 16
        return tail >= 1 && tail <= 8 && m * n * k <= 1_000_000
    }
}
