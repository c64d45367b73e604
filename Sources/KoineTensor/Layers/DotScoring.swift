/// Scores a query against K candidates by dot product:
/// `scores[b, k] = query[b] · candidates[b·K + k]`.
public enum DotScoring {
    @inlinable
    public static func forward(query: Matrix, candidates: Matrix, scores: Matrix) {
        let k = scores.columns, width = query.columns
        for b in 0..<query.rows {
            let q = query.row(b), s = scores.row(b)
            for j in 0..<k { s[j] = Kernels.dot(q, candidates.row(b * k + j), count: width) }
        }
    }

    /// Writes ∂L/∂query and ∂L/∂candidates (either may be omitted).
    @inlinable
    public static func backward(
        query: Matrix, candidates: Matrix, scoreGradient: Matrix,
        queryGradient: Matrix?, candidateGradient: Matrix?
    ) {
        let k = scoreGradient.columns, width = query.columns
        for b in 0..<query.rows {
            let q = query.row(b), ds = scoreGradient.row(b)
            if let queryGradient {
                let dq = queryGradient.row(b)
                for c in 0..<width { dq[c] = 0 }
                for j in 0..<k { Kernels.axpy(ds[j], candidates.row(b * k + j), dq, count: width) }
            }
            if let candidateGradient {
                for j in 0..<k {
                    let dc = candidateGradient.row(b * k + j)
                    for c in 0..<width { dc[c] = ds[j] * q[c] }
                }
            }
        }
    }

    /// The same scores with candidates given as rows of a shared `table`
    /// (one encoding per distinct object): `scores[b, k] = query[r(b)] · table[ids[b·K + k]]`,
    /// where `r(b) = queryRows[b]` when given (games sharing one query row) and `b` otherwise.
    @inlinable
    public static func forward(query: Matrix, queryRows: Indices? = nil, table: Matrix, candidates ids: Indices, scores: Matrix) {
        let k = scores.columns, width = query.columns
        for b in 0..<scores.rows {
            let q = query.row(queryRows?[b] ?? b), s = scores.row(b)
            for j in 0..<k { s[j] = Kernels.dot(q, table.row(ids[b * k + j]), count: width) }
        }
    }

    /// Writes ∂L/∂query and adds into ∂L/∂table rows. Without `queryRows`
    /// each row of ∂L/∂query is overwritten; with it, every game's gradient
    /// is added into its shared row (the caller clears them first).
    @inlinable
    public static func backward(
        query: Matrix, queryRows: Indices? = nil, table: Matrix, candidates ids: Indices, scoreGradient: Matrix,
        queryGradient: Matrix?, tableGradient: Matrix?
    ) {
        let k = scoreGradient.columns, width = query.columns
        for b in 0..<scoreGradient.rows {
            let row = queryRows?[b] ?? b
            let q = query.row(row), ds = scoreGradient.row(b)
            if let queryGradient {
                let dq = queryGradient.row(row)
                if queryRows == nil { for c in 0..<width { dq[c] = 0 } }
                for j in 0..<k { Kernels.axpy(ds[j], table.row(ids[b * k + j]), dq, count: width) }
            }
            if let tableGradient {
                for j in 0..<k { Kernels.axpy(ds[j], q, tableGradient.row(ids[b * k + j]), count: width) }
            }
        }
    }
}
