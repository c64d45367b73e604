import KoineTensor

/// The query layer folded into the object table instead of applied to the
/// state rows: `keys = table · Wᵀ` and `offsets = table · c`, so that
/// `scores[b, k] = state[r(b)] · keys[id] + offsets[id]`. Exact up to the
/// order of the sums. The products then run over the table's rows rather
/// than the states': fewer multiply-adds whenever the table is the shorter
/// (Li & Bowling's listener: 32 objects against up to 64 distinct
/// messages); otherwise the batch runs `plain`.
final class FoldedScoring: QueryScoring {
    let query: Linear
    let encoder: ObjectEncoder
    let plain: QueryScoring
    let folded: QueryKeys
    private(set) var lastPass = QueryScoringPass.plain

    /// Buffers for the encoder's largest table.
    init(query: Linear, encoder: ObjectEncoder, plain: QueryScoring, arena: Arena) {
        self.query = query
        self.encoder = encoder
        self.plain = plain
        folded = QueryKeys(rows: encoder.capacity, width: query.output, arena: arena)
    }

    /// Whether folding does fewer multiply-adds than running the query layer
    /// over `states` rows (three products of either's rows, forward and back).
    static func pays(states: Int, tableRows: Int) -> Bool { tableRows < states }

    func forward(_ x: Matrix, rows: Indices?, candidates ids: Indices, scores: Matrix) {
        let table = encoder.table
        guard FoldedScoring.pays(states: x.rows, tableRows: table.rows) else {
            lastPass = .plain
            return plain.forward(x, rows: rows, candidates: ids, scores: scores)
        }
        lastPass = .folded
        let k = scores.columns, offsets = folded.offsets
        DotScoring.forward(query: x, queryRows: rows, table: folded.fold(query, into: table), candidates: ids, scores: scores)
        for b in 0..<scores.rows {
            let s = scores.row(b)
            for j in 0..<k { s[j] += offsets[ids[b * k + j]] }
        }
    }

    /// Writes ∂L/∂x as `DotScoring.backward` writes its query gradient (each
    /// row overwritten without `rows`; added into shared rows with them).
    func backward(_ x: Matrix, rows: Indices?, candidates ids: Indices, scoreGradient: Matrix, stateGradient: Matrix) {
        guard lastPass == .folded else {
            return plain.backward(x, rows: rows, candidates: ids, scoreGradient: scoreGradient, stateGradient: stateGradient)
        }
        let table = encoder.table, objects = table.rows, k = scoreGradient.columns
        let keys = folded.keys.rows(0..<objects), keyGradient = folded.keyGradient.rows(0..<objects)
        let offsetGradient = folded.offsetGradient
        keyGradient.zero()
        for o in 0..<objects { offsetGradient[o] = 0 }
        DotScoring.backward(query: x, queryRows: rows, table: keys, candidates: ids, scoreGradient: scoreGradient,
                            queryGradient: stateGradient, tableGradient: keyGradient)
        for b in 0..<scoreGradient.rows {
            let ds = scoreGradient.row(b)
            for j in 0..<k { offsetGradient[ids[b * k + j]] += ds[j] }
        }
        folded.backward(query, table: table, tableGradient: encoder.openTableGradient().rows(0..<objects))
    }
}
