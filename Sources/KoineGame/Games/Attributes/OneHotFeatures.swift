import KoineTensor

/// Objects described by a few active features each (one value per
/// attribute), encoded by a linear layer: `table[o] = Σ_{j ∈ F(o)} W[j] + b`,
/// row o of `onehot · W + b`. A product with the table then factors through
/// the `features + 1` rows of `[W; b]` (`Linear.augmented`): `table · M =
/// expand([W; b] · M)`, and a gradient into the table contracts back onto
/// those rows. Exact up to the order of the sums; fewer multiply-adds
/// whenever there are fewer features than objects (Li & Bowling: 8 + 4
/// attribute values against 32 objects).
struct OneHotFeatures {
    /// The encoder's layer, `features → width`, with a bias.
    let linear: Linear
    /// Row o holds the features active in object o, `perObject` of them.
    let active: Indices
    let perObject: Int
    let objects: Int

    init(linear: Linear, active: Indices, perObject: Int) {
        precondition(linear.bias != nil && active.count % perObject == 0, "one-hot features: a biased layer, whole rows")
        self.linear = linear
        self.active = active
        self.perObject = perObject
        objects = active.count / perObject
    }

    /// Rows of `[W; b]`: every feature, then the bias, which every object has.
    var rows: Int { linear.input + 1 }

    /// `[W; b]` and its gradient, what products with the table factor through.
    var layer: Parameter { linear.augmented! }

    /// `objectRows[o] = Σ_{j ∈ F(o)} featureRows[j] + featureRows[bias]`.
    func expand(_ featureRows: Matrix, into objectRows: Matrix) {
        let width = featureRows.columns, last = featureRows.row(linear.input)
        for o in 0..<objects {
            let out = objectRows.row(o)
            out.update(from: last, count: width)
            for f in 0..<perObject { Kernels.axpy(1, featureRows.row(active[o * perObject + f]), out, count: width) }
        }
    }

    /// Adds the transpose of `expand`: `featureRows[j] += Σ_{o ∋ j} objectRows[o]`,
    /// `featureRows[bias] += Σ_o objectRows[o]`.
    func contract(_ objectRows: Matrix, into featureRows: Matrix) {
        let width = objectRows.columns, last = featureRows.row(linear.input)
        for o in 0..<objects {
            let row = objectRows.row(o)
            Kernels.axpy(1, row, last, count: width)
            for f in 0..<perObject { Kernels.axpy(1, row, featureRows.row(active[o * perObject + f]), count: width) }
        }
    }
}
