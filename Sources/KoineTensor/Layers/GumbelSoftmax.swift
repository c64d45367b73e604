/// Gumbel-Softmax relaxation of a categorical sample (Jang et al. 2017):
/// y = softmax((z + g) / τ) with Gumbel noise g. With straight-through, the
/// forward output is the one-hot of argmax y while gradients flow through y.
public enum GumbelSoftmax {
    /// Writes the relaxed sample to `soft`, the output (one-hot when
    /// `straightThrough`, else `soft`) to `output`, and the argmax to
    /// `actions`. Without `noise` the sample is the deterministic softmax(z/τ).
    @inlinable
    public static func forward(
        logits: Matrix, temperature: Float, straightThrough: Bool, noise: Bool,
        random: inout Random, soft: Matrix, output: Matrix, actions: Indices
    ) {
        let width = logits.columns, inverse = 1 / temperature
        for r in 0..<logits.rows {
            let z = logits.row(r), y = soft.row(r), out = output.row(r)
            for j in 0..<width {
                let g = noise ? random.nextGumbel() : 0
                y[j] = (z[j] + g) * inverse
            }
            Kernels.softmax(row: y, into: y, count: width)
            let best = Kernels.argmax(y, count: width)
            actions[r] = best
            if straightThrough {
                for j in 0..<width { out[j] = j == best ? 1 : 0 }
            } else {
                out.update(from: y, count: width)
            }
        }
    }

    /// ∂L/∂z = (1/τ) · y ⊙ (∂L/∂y − Σ ∂L/∂y ⊙ y). Straight-through passes the
    /// output's gradient to y unchanged, so the formula is the same.
    @inlinable
    public static func backward(soft: Matrix, temperature: Float, outputGradient: Matrix, logitGradient: Matrix) {
        let width = soft.columns, inverse = 1 / temperature
        for r in 0..<soft.rows {
            let y = soft.row(r), g = outputGradient.row(r), d = logitGradient.row(r)
            let inner = Kernels.dot(y, g, count: width)
            for j in 0..<width { d[j] = inverse * y[j] * (g[j] - inner) }
        }
    }
}
