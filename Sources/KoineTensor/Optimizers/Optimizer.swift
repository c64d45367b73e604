/// Updates a `Parameters` block from its gradient, keeping its own state in
/// buffers that mirror the parameters.
public protocol Optimizer: AnyObject {
    var parameters: Parameters { get }
    /// One update from the current gradient (which it does not clear).
    func update()
    /// Forgets all state, as for a freshly built agent.
    func reset()
    /// The state as flat buffers (for checkpoints), and the step count.
    var stateBuffers: [UnsafeMutableBufferPointer<Float>] { get }
    var steps: Int { get set }
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
