import KoineTensor

/// A listener's scoring against a table of one-hot features,
/// `table[o] = Σ_{j ∈ F(o)} E[j] + e` (see OneHotFeatures): the query layer
/// and the table both fold into the `features + 1` rows of `[E; e]`:
/// `keys = [E; e] · Wᵀ`, `offsets = [E; e] · c`, `products = keys · xᵀ +
/// offsets`, and an object's score against every state row is the sum of
/// its features' products. Every product then runs over the feature rows
/// rather than the objects' or the states' (Li & Bowling's listener: 13
/// against 32 objects and up to 64 distinct messages), and each game's
/// scores are looked up, not computed; the gradients go straight into the
/// encoder's layer. Exact up to the order of the sums. A batch with no more
/// state rows than feature rows runs `plain`.
final class FactoredScoring: QueryScoring {
    let query: Linear
    let features: OneHotFeatures
    let plain: QueryScoring
    let folded: QueryKeys
    /// `features + 1` rows by state rows, and objects by state rows, laid
    /// out compactly for each pass's number of state rows.
    let products: UnsafeMutablePointer<Float>
    let productGradient: UnsafeMutablePointer<Float>
    let objectScores: UnsafeMutablePointer<Float>
    let objectScoreGradient: UnsafeMutablePointer<Float>
    private(set) var lastPass = QueryScoringPass.plain

    /// Buffers for up to `rows` state rows.
    init(query: Linear, features: OneHotFeatures, plain: QueryScoring, rows states: Int, arena: Arena) {
        self.query = query
        self.features = features
        self.plain = plain
        let rows = features.rows, objects = features.objects
        folded = QueryKeys(rows: rows, width: query.output, arena: arena)
        products = arena.floats(rows * states)
        productGradient = arena.floats(rows * states)
        objectScores = arena.floats(objects * states)
        objectScoreGradient = arena.floats(objects * states)
    }

    /// Whether factoring does fewer multiply-adds than the query layer over
    /// `states` rows: its products run over the feature rows instead, and
    /// those must also be fewer than the objects the plain fold runs over.
    static func pays(states: Int, features: OneHotFeatures) -> Bool {
        features.rows < states && features.rows < features.objects
    }

    func forward(_ x: Matrix, rows: Indices?, candidates ids: Indices, scores: Matrix) {
        guard FactoredScoring.pays(states: x.rows, features: features) else {
            lastPass = .plain
            return plain.forward(x, rows: rows, candidates: ids, scores: scores)
        }
        lastPass = .factored
        let n = x.rows, k = scores.columns, offsets = folded.offsets
        let keys = folded.fold(query, into: features.layer.value)
        let products = Matrix(self.products, rows: features.rows, columns: n)
        BLAS.gemm(keys, x, transposeB: true, into: products)
        for j in 0..<features.rows {
            let row = products.row(j), offset = offsets[j]
            for m in 0..<n { row[m] += offset }
        }
        let objectScores = Matrix(self.objectScores, rows: features.objects, columns: n)
        features.expand(products, into: objectScores)
        for b in 0..<scores.rows {
            let s = scores.row(b), row = rows?[b] ?? b
            for j in 0..<k { s[j] = objectScores.row(ids[b * k + j])[row] }
        }
    }

    /// Adds ∂L/∂x into `stateGradient`, and into the query layer's gradients
    /// and the features' layer's.
    func backward(_ x: Matrix, rows: Indices?, candidates ids: Indices, scoreGradient: Matrix, stateGradient: Matrix) {
        guard lastPass == .factored else {
            return plain.backward(x, rows: rows, candidates: ids, scoreGradient: scoreGradient, stateGradient: stateGradient)
        }
        let table = features.layer, n = x.rows, k = scoreGradient.columns
        let objectScoreGradient = Matrix(self.objectScoreGradient, rows: features.objects, columns: n)
        objectScoreGradient.zero()
        for b in 0..<scoreGradient.rows {
            let ds = scoreGradient.row(b), row = rows?[b] ?? b
            for j in 0..<k { objectScoreGradient.row(ids[b * k + j])[row] += ds[j] }
        }
        let productGradient = Matrix(self.productGradient, rows: features.rows, columns: n)
        productGradient.zero()
        features.contract(objectScoreGradient, into: productGradient)
        for j in 0..<features.rows {
            let row = productGradient.row(j)
            var total: Float = 0
            for m in 0..<n { total += row[m] }
            folded.offsetGradient[j] = total
        }
        // products = keys · xᵀ: ∂x += ∂productsᵀ · keys, ∂keys = ∂products · x.
        let keys = folded.keys.rows(0..<features.rows), keyGradient = folded.keyGradient.rows(0..<features.rows)
        BLAS.gemm(productGradient, transposeA: true, keys, into: stateGradient, beta: 1)
        BLAS.gemm(productGradient, x, into: keyGradient)
        folded.backward(query, table: table.value, tableGradient: table.gradient)
    }
}
