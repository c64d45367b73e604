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
