import ArgumentParser
import KoineTensor

/// Which kernels run the matrix products, shared by the benchmarks of a whole
/// game (`koine bench game`, `koine bench images`) so the two can be compared.
struct ProductKernelOptions: ParsableArguments {
    @Flag(help: "Run every product through OpenBLAS (by default small ones run in Koine's own kernels).")
    var openblasOnly = false

    /// Sets `BLAS.usesSmallProducts` for this process, before its first product.
    func apply() { BLAS.usesSmallProducts = !openblasOnly }
}
