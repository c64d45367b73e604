import KoineTensor

/// The input side of a recurrent cell fed with discrete symbols, folded into
/// a table: row v is embedding(v)·Wx, so a step's input product becomes a row
/// lookup per game, and the weight gradients come from the table's gradient
/// (summed per symbol) in two small products instead of two per-game ones.
/// Exact: it only reorders sums.
final class InputTable {
    let values: Matrix      // symbols × gateWidth
    let gradients: Matrix   // symbols × gateWidth

    init(symbols: Int, gateWidth: Int, arena: Arena) {
        values = arena.matrix(rows: symbols, columns: gateWidth)
        gradients = arena.matrix(rows: symbols, columns: gateWidth)
    }

    /// table = embedding · Wx, with the current parameters.
    func prepare(embedding: Embedding, inputWeight: Parameter) {
        BLAS.gemm(embedding.table.value, inputWeight.value, into: values)
    }

    /// Writes row symbols[b] of the table into row b of `gates`.
    func lookup(_ symbols: Indices, into gates: Matrix) {
        let width = values.columns
        for b in 0..<symbols.count { gates.row(b).update(from: values.row(symbols[b]), count: width) }
    }

    /// Adds row b of `gateGradients` into the gradient of row symbols[b].
    func accumulate(_ symbols: Indices, gateGradients: Matrix) {
        let width = values.columns
        for b in 0..<symbols.count { Kernels.axpy(1, gateGradients.row(b), gradients.row(symbols[b]), count: width) }
    }

    /// Turns the table gradient into ∂L/∂Wx and ∂L/∂embedding, then clears it.
    func backward(embedding: Embedding, inputWeight: Parameter) {
        BLAS.gemm(embedding.table.value, transposeA: true, gradients, into: inputWeight.gradient, beta: 1)
        BLAS.gemm(gradients, inputWeight.value, transposeB: true, into: embedding.table.gradient, beta: 1)
        gradients.zero()
    }
}
