import KoineTensor

/// The recurrent cell inside speakers and listeners.
public enum CellKind: String, CaseIterable {
    case lstm, gru
}

/// How the message channel is made differentiable (or not).
public enum ChannelKind: String, CaseIterable {
    /// Discrete samples, trained with REINFORCE (score-function gradients).
    case reinforce
    /// Gumbel-Softmax straight-through: listener gradients flow into the speaker.
    case gumbel
}

/// What REINFORCE subtracts from the reward.
public enum BaselineKind: String, CaseIterable {
    case none
    /// An exponential running mean of the agent's own rewards.
    case mean
}

/// What a listener minimises when its loss is differentiable (the Gumbel channel).
public enum ListenerLossKind: String, CaseIterable {
    /// Cross-entropy of the target's position under softmax(scores).
    case crossEntropy = "cross_entropy"
    /// Havrylov & Titov's hinge loss: Σ over distractors of max(0, 1 − s_target + s_k).
    case hinge
}

/// Everything an agent's shape and learning rule depend on.
public struct AgentSettings {
    public var vocabulary: Int
    public var messageLength: Int
    public var variableLength: Bool
    public var cell: CellKind
    public var symbolInput: SymbolInputKind
    public var hidden: Int
    public var channel: ChannelKind
    public var entropy: Float
    public var temperature: Float
    public var baseline: BaselineKind
    public var listenerLoss: ListenerLossKind
    public var optimizer: OptimizerSettings

    public init(
        vocabulary: Int = 8, messageLength: Int = 2, variableLength: Bool = false, cell: CellKind = .lstm,
        symbolInput: SymbolInputKind = .embedding, hidden: Int = 100, channel: ChannelKind = .reinforce, entropy: Float = 0.1, temperature: Float = 1,
        baseline: BaselineKind = .mean, listenerLoss: ListenerLossKind = .crossEntropy,
        optimizer: OptimizerSettings = OptimizerSettings()
    ) {
        self.vocabulary = vocabulary
        self.messageLength = messageLength
        self.variableLength = variableLength
        self.cell = cell
        self.symbolInput = symbolInput
        self.hidden = hidden
        self.channel = channel
        self.entropy = entropy
        self.temperature = temperature
        self.baseline = baseline
        self.listenerLoss = listenerLoss
        self.optimizer = optimizer
    }

    /// The end-of-message symbol, when messages have variable length.
    public var endOfMessage: Int32 { 0 }

    /// The width of what enters the recurrent cells: the embedding's, or the vocabulary's when one-hot.
    var symbolInputWidth: Int { symbolInput == .embedding ? hidden : vocabulary }
}

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
