/// A linear query scored against rows of a table,
/// `scores[b, k] = (x[r(b)] · W + bias) · table[id(b, k)]`, with the linear
/// layer folded into the table instead of applied to the queries:
/// `keys = table · Wᵀ` and `offsets = table · bias`, so that
/// `scores[b, k] = x[r(b)] · keys[id] + offsets[id]`. Exact up to the order of
/// the sums. The products then run over the table's rows rather than the
/// queries': fewer multiply-adds whenever the table is the shorter (Li &
/// Bowling's listener: 32 objects against up to 64 distinct messages).
/// `r(b)` is `rows[b]` when given (games sharing a query row), else `b`.
public struct FoldedQueryScoring {
    let keys: Matrix
    let offsets: UnsafeMutablePointer<Float>
    let keyGradient: Matrix
    let offsetGradient: UnsafeMutablePointer<Float>

    /// Buffers for tables of up to `tableRows` rows and queries `width` wide.
    public init(tableRows: Int, width: Int, arena: Arena) {
        keys = arena.matrix(rows: tableRows, columns: width)
        offsets = arena.floats(tableRows)
        keyGradient = arena.matrix(rows: tableRows, columns: width)
        offsetGradient = arena.floats(tableRows)
    }

    /// Whether folding does fewer multiply-adds than running the linear layer
    /// over `queries` rows (three products of either's rows, forward and back).
    public static func pays(queries: Int, tableRows: Int) -> Bool { tableRows < queries }

    public func forward(_ x: Matrix, rows: Indices?, linear: Linear, table: Matrix, candidates ids: Indices, scores: Matrix) {
        let objects = table.rows, k = scores.columns
        let keys = self.keys.rows(0..<objects)
        BLAS.gemm(table, linear.weight.value, transposeB: true, into: keys)
        for o in 0..<objects { offsets[o] = 0 }
        if let bias = linear.bias {
            for o in 0..<objects { offsets[o] = Kernels.dot(table.row(o), bias.value.base, count: table.columns) }
        }
        DotScoring.forward(query: x, queryRows: rows, table: keys, candidates: ids, scores: scores)
        for b in 0..<scores.rows {
            let s = scores.row(b)
            for j in 0..<k { s[j] += offsets[ids[b * k + j]] }
        }
    }

    /// Writes ∂L/∂x as `DotScoring.backward` writes its query gradient (each
    /// row overwritten without `rows`; added into shared rows, cleared by the
    /// caller, with them); adds into the linear layer's gradients and into
    /// `tableGradient`. Call after `forward`, with the same arguments.
    public func backward(
        _ x: Matrix, rows: Indices?, linear: Linear, table: Matrix, candidates ids: Indices, scoreGradient: Matrix,
        inputGradient: Matrix, tableGradient: Matrix
    ) {
        let objects = table.rows, k = scoreGradient.columns, width = table.columns
        let keys = self.keys.rows(0..<objects), keyGradient = self.keyGradient.rows(0..<objects)
        keyGradient.zero()
        for o in 0..<objects { offsetGradient[o] = 0 }
        DotScoring.backward(query: x, queryRows: rows, table: keys, candidates: ids, scoreGradient: scoreGradient,
                            queryGradient: inputGradient, tableGradient: keyGradient)
        for b in 0..<scoreGradient.rows {
            let ds = scoreGradient.row(b)
            for j in 0..<k { offsetGradient[ids[b * k + j]] += ds[j] }
        }
        // keys = table · Wᵀ: ∂W += ∂keysᵀ · table, ∂table += ∂keys · W.
        BLAS.gemm(keyGradient, transposeA: true, table, into: linear.weight.gradient, beta: 1)
        BLAS.gemm(keyGradient, linear.weight.value, into: tableGradient, beta: 1)
        // offsets = table · bias: ∂bias += Σ_o ∂offset_o · table_o, ∂table_o += ∂offset_o · bias.
        if let bias = linear.bias {
            for o in 0..<objects {
                Kernels.axpy(offsetGradient[o], table.row(o), bias.gradient.base, count: width)
                Kernels.axpy(offsetGradient[o], bias.value.base, tableGradient.row(o), count: width)
            }
        }
    }
}
