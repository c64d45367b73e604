import KoineTensor

/// The textbook scoring: the query layer over every state row, then a dot
/// product with each candidate's row of the table (see DotScoring).
final class PlainScoring: QueryScoring {
    let query: Linear
    let encoder: ObjectEncoder
    let queries: Matrix
    let queryGradients: Matrix

    var lastPass: QueryScoringPass { .plain }

    /// Buffers for up to `rows` state rows.
    init(query: Linear, encoder: ObjectEncoder, rows: Int, arena: Arena) {
        self.query = query
        self.encoder = encoder
        queries = arena.matrix(rows: rows, columns: query.output)
        queryGradients = arena.matrix(rows: rows, columns: query.output)
    }

    func forward(_ states: Matrix, rows: Indices?, candidates: Indices, scores: Matrix) {
        let q = queries.rows(0..<states.rows)
        query.forward(states, into: q)
        DotScoring.forward(query: q, queryRows: rows, table: encoder.table, candidates: candidates, scores: scores)
    }

    func backward(_ states: Matrix, rows: Indices?, candidates: Indices, scoreGradient: Matrix, stateGradient: Matrix) {
        let q = queries.rows(0..<states.rows), dq = queryGradients.rows(0..<states.rows)
        // Shared rows add up every game's gradient; rows of their own are overwritten.
        if rows != nil { dq.zero() }
        DotScoring.backward(query: q, queryRows: rows, table: encoder.table, candidates: candidates, scoreGradient: scoreGradient,
                            queryGradient: dq, tableGradient: encoder.openTableGradient())
        query.backward(states, outputGradient: dq, inputGradient: stateGradient, accumulateInput: true)
    }
}
