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
    /// (one encoding per distinct object): `scores[b, k] = query[b] · table[ids[b·K + k]]`.
    @inlinable
    public static func forward(query: Matrix, table: Matrix, candidates ids: Indices, scores: Matrix) {
        let k = scores.columns, width = query.columns
        for b in 0..<query.rows {
            let q = query.row(b), s = scores.row(b)
            for j in 0..<k { s[j] = Kernels.dot(q, table.row(ids[b * k + j]), count: width) }
        }
    }

    /// Writes ∂L/∂query (overwriting) and adds into ∂L/∂table rows.
    @inlinable
    public static func backward(
        query: Matrix, table: Matrix, candidates ids: Indices, scoreGradient: Matrix,
        queryGradient: Matrix?, tableGradient: Matrix?
    ) {
        let k = scoreGradient.columns, width = query.columns
        for b in 0..<query.rows {
            let q = query.row(b), ds = scoreGradient.row(b)
            if let queryGradient {
                let dq = queryGradient.row(b)
                for c in 0..<width { dq[c] = 0 }
                for j in 0..<k { Kernels.axpy(ds[j], table.row(ids[b * k + j]), dq, count: width) }
            }
            if let tableGradient {
                for j in 0..<k { Kernels.axpy(ds[j], q, tableGradient.row(ids[b * k + j]), count: width) }
            }
        }
    }
}
