import KoineTensor

/// How many games a loss is averaged over. A listener's own REINFORCE loss is
/// the mean over every game it plays in the step; a loss that flows back
/// through the message (Gumbel-Softmax) is part of its speaker's loss, the
/// mean over every game that speaker plays with all its listeners.
public struct GameCounts {
    /// Games the listener plays in this step, over all its speakers.
    public var listener: Int
    /// Games the speaker of this batch plays in this step, over all its listeners.
    public var speaker: Int

    public init(listener: Int, speaker: Int) {
        self.listener = listener
        self.speaker = speaker
    }
}

/// A message channel and its learning rule: how the outcome of a batch of
/// games becomes gradients for the listener that played them and for the
/// speaker that sent the messages. Each rule lives in one type, used by
/// every game, by training and by the ease-of-teaching measurement.
public protocol Channel: AnyObject {
    /// Whether messages carry a gradient back to the speaker (Gumbel-Softmax).
    var isDifferentiable: Bool { get }

    /// Backward for the batch of games `listener` just played; returns its loss.
    /// The listener's parameter gradients (and, with a differentiable channel,
    /// the message's gradients) are accumulated, not applied.
    func listenerLearns(_ listener: Listener, counts: GameCounts) -> Float

    /// Backward for the speaker's batch, given each game's reward averaged over
    /// the listeners that played it; returns its loss (nil when the channel
    /// has no loss of its own for the speaker: its gradient came through the message).
    func speakerLearns(_ speaker: Speaker, rewards: UnsafePointer<Float>) -> Float?
}

/// The channel of `settings`, with scratch for batches of up to `capacity` games.
public func makeChannel(_ settings: AgentSettings, capacity: Int) -> Channel {
    switch settings.channel {
    case .reinforce: return ReinforceChannel(entropyWeight: settings.entropy, baseline: settings.baseline,
                                             messageLength: settings.messageLength, capacity: capacity)
    case .gumbel: return GumbelChannel(loss: settings.listenerLoss)
    }
}
