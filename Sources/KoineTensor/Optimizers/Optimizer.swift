/// Updates a `Parameters` block from its gradient, keeping its own state in
/// buffers that mirror the parameters.
public protocol Optimizer: AnyObject {
    var parameters: Parameters { get }
    /// Settable so population-based training can change it between steps.
    var learningRate: Float { get set }
    /// One update from the current gradient; with `clearingGradients`, each
    /// gradient is zeroed as it is read (one pass over the gradients fewer
    /// than an update and a separate clear).
    func update(clearingGradients: Bool)
    /// Forgets all state, as for a freshly built agent.
    func reset()
    /// The state as flat buffers (for checkpoints), and the step count.
    var stateBuffers: [UnsafeMutableBufferPointer<Float>] { get }
    var steps: Int { get set }
}

extension Optimizer {
    /// One update from the current gradient, which it leaves as it is.
    public func update() { update(clearingGradients: false) }
}

/// Scales gradients so their joint L2 norm is at most `maxNorm`; returns the
/// norm before clipping.
public enum GradientClipping {
    @discardableResult
    public static func clip(_ blocks: [Parameters], maxNorm: Float) -> Float {
        // Index loops: `for block in blocks` heap-allocates its iterator in
        // unoptimised builds, and this runs every step.
        var sum: Double = 0
        for b in 0..<blocks.count {
            let block = blocks[b], g = block.gradients
            for i in 0..<block.count { sum += Double(g[i]) * Double(g[i]) }
        }
        let norm = Float(sum.squareRoot())
        if maxNorm > 0, norm > maxNorm {
            let scale = maxNorm / (norm + 1e-6)
            for b in 0..<blocks.count {
                let block = blocks[b], g = block.gradients
                for i in 0..<block.count { g[i] *= scale }
            }
        }
        return norm
    }
}
