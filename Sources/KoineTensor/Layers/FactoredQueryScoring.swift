/// A linear query scored against rows of a table of one-hot features,
/// `scores[b, k] = (x[r(b)] · W + c) · table[id(b, k)]` with
/// `table[o] = Σ_{j ∈ F(o)} E[j] + e` (see OneHotFeatures). The query layer
/// and the table both fold into the `features + 1` rows of `[E; e]`:
/// `keys = [E; e] · Wᵀ`, `offsets = [E; e] · c`, `products = keys · xᵀ +
/// offsets`, and an object's score against every query row is the sum of
/// its features' products. Every product then runs over the feature rows
/// rather than the objects' or the queries' (Li & Bowling's listener: 13
/// against 32 objects and up to 64 distinct messages), and each game's
/// scores are looked up, not computed. Exact up to the order of the sums.
/// `r(b)` is `rows[b]` when given (games sharing a query row), else `b`.
public struct FactoredQueryScoring {
    let keys: Matrix
    let offsets: UnsafeMutablePointer<Float>
    let keyGradient: Matrix
    let offsetGradient: UnsafeMutablePointer<Float>
    /// `features + 1` rows by query rows, and objects by query rows, laid
    /// out compactly for each pass's number of query rows.
    let products: UnsafeMutablePointer<Float>
    let productGradient: UnsafeMutablePointer<Float>
    let objectScores: UnsafeMutablePointer<Float>
    let objectScoreGradient: UnsafeMutablePointer<Float>

    /// Buffers for `features` (none when nil), queries `width` wide and up to `queries` query rows.
    public init(features: OneHotFeatures?, width: Int, queries: Int, arena: Arena) {
        let rows = features?.rows ?? 0, objects = features?.objects ?? 0
        keys = arena.matrix(rows: rows, columns: width)
        offsets = arena.floats(rows)
        keyGradient = arena.matrix(rows: rows, columns: width)
        offsetGradient = arena.floats(rows)
        products = arena.floats(rows * queries)
        productGradient = arena.floats(rows * queries)
        objectScores = arena.floats(objects * queries)
        objectScoreGradient = arena.floats(objects * queries)
    }

    /// Whether factoring does fewer multiply-adds than the query layer over
    /// `queries` rows: its products run over the feature rows instead, and
    /// those must also be fewer than the objects the plain fold runs over.
    public static func pays(queries: Int, features: OneHotFeatures) -> Bool {
        features.rows < queries && features.rows < features.objects
    }

    public func forward(_ x: Matrix, rows: Indices?, linear: Linear, features: OneHotFeatures, candidates ids: Indices,
                        scores: Matrix) {
        let table = features.linear.augmented!.value, n = x.rows, k = scores.columns
        let keys = self.keys.rows(0..<features.rows)
        BLAS.gemm(table, linear.weight.value, transposeB: true, into: keys)
        for j in 0..<features.rows {
            offsets[j] = linear.bias.map { Kernels.dot(table.row(j), $0.value.base, count: table.columns) } ?? 0
        }
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

    /// Adds ∂L/∂x into `inputGradient` (the caller clears it), and adds into
    /// the query layer's gradients and the features' layer's. Call after
    /// `forward`, with the same arguments.
    public func backward(_ x: Matrix, rows: Indices?, linear: Linear, features: OneHotFeatures, candidates ids: Indices,
                         scoreGradient: Matrix, inputGradient: Matrix) {
        let table = features.linear.augmented!, n = x.rows, k = scoreGradient.columns
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
            offsetGradient[j] = total
        }
        // products = keys · xᵀ: ∂x += ∂productsᵀ · keys, ∂keys = ∂products · x.
        let keys = self.keys.rows(0..<features.rows), keyGradient = self.keyGradient.rows(0..<features.rows)
        BLAS.gemm(productGradient, transposeA: true, keys, into: inputGradient, beta: 1)
        BLAS.gemm(productGradient, x, into: keyGradient)
        // keys = [E; e] · Wᵀ: ∂W += ∂keysᵀ · [E; e], ∂[E; e] += ∂keys · W.
        BLAS.gemm(keyGradient, transposeA: true, table.value, into: linear.weight.gradient, beta: 1)
        BLAS.gemm(keyGradient, linear.weight.value, into: table.gradient, beta: 1)
        // offsets = [E; e] · c: ∂c += Σ_j ∂offset_j · [E; e]_j, ∂[E; e]_j += ∂offset_j · c.
        if let bias = linear.bias {
            for j in 0..<features.rows {
                Kernels.axpy(offsetGradient[j], table.value.row(j), bias.gradient.base, count: table.value.columns)
                Kernels.axpy(offsetGradient[j], bias.value.base, table.gradient.row(j), count: table.value.columns)
            }
        }
    }
}
