/// Stochastic gradient descent with (heavy-ball) momentum, as PyTorch:
/// v ← μ·v + g, p ← p − lr·v.
public final class SGD: Optimizer {
    public let parameters: Parameters
    public var learningRate: Float
    public let momentum: Float
    public var steps = 0
    private let velocity: UnsafeMutablePointer<Float>

    public init(parameters: Parameters, learningRate: Float, momentum: Float = 0) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        velocity = .allocate(capacity: max(parameters.count, 1))
        velocity.initialize(repeating: 0, count: max(parameters.count, 1))
    }

    deinit { velocity.deallocate() }

    public func update(clearingGradients: Bool) {
        let p = parameters.values, g = parameters.gradients, v = velocity
        let mu = momentum, lr = learningRate
        // PyTorch starts the velocity at the first gradient, not at μ·0 + g — the same thing.
        for i in 0..<parameters.count {
            let vi = mu * v[i] + g[i]
            v[i] = vi
            p[i] -= lr * vi
        }
        if clearingGradients { parameters.zeroGradients() }
        steps += 1
    }

    public func reset() {
        steps = 0
        velocity.update(repeating: 0, count: parameters.count)
    }

    public var stateBuffers: [UnsafeMutableBufferPointer<Float>] {
        [.init(start: velocity, count: parameters.count)]
    }
}
