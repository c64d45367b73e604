import KoineTensor

/// A listener's scoring against a table of one-hot features,
/// `table[o] = Σ_{j ∈ F(o)} E[j] + e` (see OneHotFeatures): the query layer
/// and the table both fold into the `features + 1` rows of `[E; e]`:
/// `keys = [E; e] · Wᵀ`, `offsets = [E; e] · c`, `products = x · keysᵀ +
/// offsets`, and a game's score for an object is the sum of its features'
/// products in the game's state row. Every product then runs over the
/// feature rows rather than the objects' or the states' (Li & Bowling's
/// listener: 13 against 32 objects and up to 64 distinct messages); the
/// gradients go straight into the encoder's layer. Exact up to the order of
/// the sums. A batch with no more state rows than feature rows runs `plain`.
///
/// The keys are built and used column-wise, `keysᵀ = W · [E; e]ᵀ` and
/// `products = x · keysᵀ`, so both products are plain ones with the feature
/// rows as their columns, padded with zeros to a whole vector: as dot
/// products of rows (`x · keysᵀ` with the keys by rows) they were short, and
/// ran at a third of the plain products' speed.
final class FactoredScoring: QueryScoring {
    let query: Linear
    let features: OneHotFeatures
    let plain: QueryScoring
    let folded: QueryKeys
    /// Feature rows padded to a multiple of 16 (one AVX-512 vector).
    let paddedRows: Int
    /// `[E; e]ᵀ`, width × paddedRows; the padding columns stay zero.
    let tableColumns: Matrix
    /// `keysᵀ`, width × paddedRows.
    let keyColumns: Matrix
    /// State rows by paddedRows: every feature's product with each state row.
    let products: UnsafeMutablePointer<Float>
    let productGradient: UnsafeMutablePointer<Float>
    private(set) var lastPass = QueryScoringPass.plain

    /// Buffers for up to `rows` state rows.
    init(query: Linear, features: OneHotFeatures, plain: QueryScoring, rows states: Int, arena: Arena) {
        self.query = query
        self.features = features
        self.plain = plain
        let rows = features.rows, width = query.input
        paddedRows = (rows + 15) / 16 * 16
        folded = QueryKeys(rows: rows, width: width, arena: arena)
        tableColumns = arena.matrix(rows: features.layer.value.columns, columns: paddedRows)
        keyColumns = arena.matrix(rows: width, columns: paddedRows)
        products = arena.floats(states * paddedRows)
        productGradient = arena.floats(states * paddedRows)
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
        let table = features.layer.value, offsets = folded.offsets
        folded.fillOffsets(query, table: table)
        for j in 0..<table.rows {
            let row = table.row(j)
            for i in 0..<table.columns { tableColumns.row(i)[j] = row[i] }
        }
        BLAS.gemm(query.weight.value, tableColumns, into: keyColumns)
        let products = Matrix(self.products, rows: x.rows, columns: paddedRows)
        BLAS.gemm(x, keyColumns, into: products)
        for m in 0..<x.rows {
            let row = products.row(m)
            for j in 0..<table.rows { row[j] += offsets[j] }
        }
        let k = scores.columns, perObject = features.perObject, bias = features.rows - 1
        for b in 0..<scores.rows {
            let s = scores.row(b), state = products.row(rows?[b] ?? b)
            for c in 0..<k {
                let active = features.active.base + ids[b * k + c] * perObject
                var score = state[bias]
                for f in 0..<perObject { score += state[Int(active[f])] }
                s[c] = score
            }
        }
    }

    /// Adds ∂L/∂x into `stateGradient`, and into the query layer's gradients
    /// and the features' layer's.
    func backward(_ x: Matrix, rows: Indices?, candidates ids: Indices, scoreGradient: Matrix, stateGradient: Matrix) {
        guard lastPass == .factored else {
            return plain.backward(x, rows: rows, candidates: ids, scoreGradient: scoreGradient, stateGradient: stateGradient)
        }
        let table = features.layer, featureRows = features.rows, width = query.input
        let productGradient = Matrix(self.productGradient, rows: x.rows, columns: paddedRows)
        productGradient.zero()
        let k = scoreGradient.columns, perObject = features.perObject, bias = featureRows - 1
        for b in 0..<scoreGradient.rows {
            let ds = scoreGradient.row(b), state = productGradient.row(rows?[b] ?? b)
            for c in 0..<k {
                let active = features.active.base + ids[b * k + c] * perObject
                state[bias] += ds[c]
                for f in 0..<perObject { state[Int(active[f])] += ds[c] }
            }
        }
        for j in 0..<featureRows { folded.offsetGradient[j] = 0 }
        for m in 0..<x.rows {
            let row = productGradient.row(m)
            for j in 0..<featureRows { folded.offsetGradient[j] += row[j] }
        }
        // products = x · keysᵀ: ∂x += ∂products · keys, ∂keys = ∂productsᵀ · x.
        let keys = folded.keys.rows(0..<featureRows), keyGradient = folded.keyGradient.rows(0..<featureRows)
        for i in 0..<width {
            let column = keyColumns.row(i)
            for j in 0..<featureRows { keys.row(j)[i] = column[j] }
        }
        let featureGradient = productGradient.columns(0..<featureRows)
        BLAS.gemm(featureGradient, keys, into: stateGradient, beta: 1)
        BLAS.gemm(featureGradient, transposeA: true, x, into: keyGradient)
        folded.backward(query, table: table.value, tableGradient: table.gradient)
    }
}
