import KoineTensor

/// A product with a table of one-hot features factored through them (see
/// OneHotFeatures): `table · M = expand([E; e] · M)`, over 13 rows instead of
/// 32 objects for Li & Bowling, and the same in backward, whose gradient goes
/// straight into the encoder's layer. Exact up to the order of the sums.
struct FactoredTableProduct: TableProduct {
    let features: OneHotFeatures
    /// `[E; e] · M` and its gradient.
    let featureRows: Matrix
    let featureRowGradients: Matrix

    /// Buffers for weights `columns` wide.
    init(features: OneHotFeatures, columns: Int, arena: Arena) {
        self.features = features
        featureRows = arena.matrix(rows: features.rows, columns: columns)
        featureRowGradients = arena.matrix(rows: features.rows, columns: columns)
    }

    func forward(_ weight: Matrix, into output: Matrix) {
        BLAS.gemm(features.layer.value, weight, into: featureRows)
        features.expand(featureRows, into: output)
    }

    func backward(_ outputGradient: Matrix, weight: Parameter) {
        // ∂M += [E; e]ᵀ · ∂F, ∂[E; e] += ∂F · Mᵀ, with ∂F the output's gradient contracted onto the features.
        let layer = features.layer
        featureRowGradients.zero()
        features.contract(outputGradient, into: featureRowGradients)
        BLAS.gemm(layer.value, transposeA: true, featureRowGradients, into: weight.gradient, beta: 1)
        BLAS.gemm(featureRowGradients, weight.value, transposeB: true, into: layer.gradient, beta: 1)
    }
}
