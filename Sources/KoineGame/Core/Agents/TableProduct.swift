import KoineTensor

/// The product of an encoder's whole table with one of an agent's weights,
/// `output = table · weight` (the speaker's first step: every object's state
/// times the cell's hidden weight), and its way back into the weight's
/// gradient and the encoder's.
public protocol TableProduct {
    func forward(_ weight: Matrix, into output: Matrix)

    /// Adds `tableᵀ · outputGradient` into `weight.gradient`, and
    /// `outputGradient · weightᵀ` into the encoder's gradients.
    func backward(_ outputGradient: Matrix, weight: Parameter)
}

/// The product as written, its table gradient into `tableGradient`.
struct PlainTableProduct: TableProduct {
    let encoder: ObjectEncoder

    func forward(_ weight: Matrix, into output: Matrix) {
        BLAS.gemm(encoder.table, weight, into: output)
    }

    func backward(_ outputGradient: Matrix, weight: Parameter) {
        BLAS.gemm(encoder.table, transposeA: true, outputGradient, into: weight.gradient, beta: 1)
        BLAS.gemm(outputGradient, weight.value, transposeB: true, into: encoder.openTableGradient(), beta: 1)
    }
}
