import KoineTensor

/// The input side of a recurrent cell fed with discrete symbols, folded into
/// a table: row v is embedding(v)·Wx, so a step's input product becomes a row
/// lookup per game, and the weight gradients come from the table's gradient
/// (summed per symbol) in two small products instead of two per-game ones
/// (`SymbolInput` fills the table and turns its gradient).
/// Exact: it only reorders sums.
final class InputTable {
    let values: Matrix      // symbols × gateWidth
    let gradients: Matrix   // symbols × gateWidth

    init(symbols: Int, gateWidth: Int, arena: Arena) {
        values = arena.matrix(rows: symbols, columns: gateWidth)
        gradients = arena.matrix(rows: symbols, columns: gateWidth)
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
}
