import ArgumentParser
import KoineTensor

/// Which kernels run the matrix products, shared by the benchmarks of a whole
/// game (`koine bench game`, `koine bench images`) so the two can be compared.
struct ProductKernelOptions: ParsableArguments {
    @Flag(help: "Run every product through OpenBLAS (by default small ones run in Koine's own kernels).")
    var openblasOnly = false

    /// What the benchmarks set `BLAS.usesSmallProducts` to, before their first product.
    var smallProducts: Bool { !openblasOnly }

    /// The calling thread as training prepares it (OPENBLAS_NUM_THREADS, else one;
    /// subnormals flushed) and the product kernels asked for: process and
    /// thread state a command sets, never the library (tests call it too).
    func apply() {
        BLAS.prepareComputeThread()
        BLAS.usesSmallProducts = smallProducts
    }
}
