import KoineTensor

/// A query layer `x · W + c` folded into the rows of a table it is scored
/// against: `keys = table · Wᵀ` and `offsets = table · c`, so that
/// `(x · W + c) · table[o] = x · keys[o] + offsets[o]`, and the way back from
/// their gradients (see FoldedScoring, FactoredScoring).
struct QueryKeys {
    let keys: Matrix
    let offsets: UnsafeMutablePointer<Float>
    let keyGradient: Matrix
    let offsetGradient: UnsafeMutablePointer<Float>

    /// Buffers for tables of up to `rows` rows, `width` wide.
    init(rows: Int, width: Int, arena: Arena) {
        keys = arena.matrix(rows: rows, columns: width)
        offsets = arena.floats(rows)
        keyGradient = arena.matrix(rows: rows, columns: width)
        offsetGradient = arena.floats(rows)
    }

    /// Fills the keys and offsets of `table`'s rows; returns the keys.
    @discardableResult
    func fold(_ query: Linear, into table: Matrix) -> Matrix {
        let keys = self.keys.rows(0..<table.rows)
        BLAS.gemm(table, query.weight.value, transposeB: true, into: keys)
        fillOffsets(query, table: table)
        return keys
    }

    /// Fills the offsets of `table`'s rows.
    func fillOffsets(_ query: Linear, table: Matrix) {
        for o in 0..<table.rows {
            offsets[o] = query.bias.map { Kernels.dot(table.row(o), $0.value.base, count: table.columns) } ?? 0
        }
    }

    /// From the keys' and offsets' gradients of `table`'s rows, adds into
    /// the query layer's gradients and into `tableGradient`.
    func backward(_ query: Linear, table: Matrix, tableGradient: Matrix) {
        let keyGradient = self.keyGradient.rows(0..<table.rows), width = table.columns
        // keys = table · Wᵀ: ∂W += ∂keysᵀ · table, ∂table += ∂keys · W.
        BLAS.gemm(keyGradient, transposeA: true, table, into: query.weight.gradient, beta: 1)
        BLAS.gemm(keyGradient, query.weight.value, into: tableGradient, beta: 1)
        // offsets = table · c: ∂c += Σ_o ∂offset_o · table_o, ∂table_o += ∂offset_o · c.
        if let bias = query.bias {
            for o in 0..<table.rows {
                Kernels.axpy(offsetGradient[o], table.row(o), bias.gradient.base, count: width)
                Kernels.axpy(offsetGradient[o], bias.value.base, tableGradient.row(o), count: width)
            }
        }
    }
}
