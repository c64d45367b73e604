import ArgumentParser

/// Which kernels run the matrix products, shared by the benchmarks of a whole
/// game (`koine bench game`, `koine bench images`) so the two can be compared.
struct ProductKernelOptions: ParsableArguments {
    @Flag(help: "Run every product through OpenBLAS (by default small ones run in Koine's own kernels).")
    var openblasOnly = false

    /// What the benchmarks set `BLAS.usesSmallProducts` to, before their first product.
    var smallProducts: Bool { !openblasOnly }
}
