public enum OptimizerKind: String, CaseIterable {
    case adam, sgd
}

public struct OptimizerSettings {
    public var kind: OptimizerKind
    public var learningRate: Float
    public var momentum: Float
    /// Gradient-norm clip per module; 0 turns it off.
    public var clip: Float

    public init(kind: OptimizerKind = .adam, learningRate: Float = 1e-3, momentum: Float = 0.9, clip: Float = 0) {
        self.kind = kind
        self.learningRate = learningRate
        self.momentum = momentum
        self.clip = clip
    }

    public func make(for parameters: Parameters) -> Optimizer {
        switch kind {
        case .adam: return Adam(parameters: parameters, learningRate: learningRate)
        case .sgd: return SGD(parameters: parameters, learningRate: learningRate, momentum: momentum)
        }
    }
}

/// One trainable module: its parameters, optimizer, and the generator that
/// (re-)initialises it. Generation g draws its parameters from
/// `initializer.split(g)`, so a reset agent equals a freshly built agent of
/// that generation, and a checkpoint need only store the generation.
public final class Module {
    public let parameters: Parameters
    public let optimizer: Optimizer
    public let clip: Float
    public let initializer: Random
    /// 0 for the first initialisation, +1 per reset. Set directly only when
    /// restoring a checkpoint, together with the parameters it describes.
    public var generation = 0

    public init(parameters: Parameters, settings: OptimizerSettings, initializer: Random) {
        self.parameters = parameters
        optimizer = settings.make(for: parameters)
        clip = settings.clip
        self.initializer = initializer
        initialize(generation: 0)
    }

    /// Parameters of `generation` and a fresh optimizer state.
    public func initialize(generation: Int) {
        self.generation = generation
        var random = initializer.split(UInt64(generation))
        parameters.initialize(using: &random)
        optimizer.reset()
    }

    /// Fresh parameters and optimizer state, as for a newly built agent.
    public func reset() {
        initialize(generation: generation + 1)
    }

    /// Clips (when asked), steps the optimizer, and clears the gradient.
    public func step() {
        if clip > 0 { GradientClipping.clip([parameters], maxNorm: clip) }
        optimizer.update(clearingGradients: true)
    }
}
