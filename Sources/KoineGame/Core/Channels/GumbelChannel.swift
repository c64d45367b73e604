import KoineTensor

/// Gumbel-Softmax straight-through (Jang et al. 2017; Havrylov & Titov 2017):
/// the speaker sends one-hot symbols whose gradient is the relaxed sample's,
/// so the listener's cross-entropy on the target's position trains both the
/// listener and, through the message, the speaker. The loss belongs to the
/// speaker's batch: it is averaged over every game the speaker plays.
public final class GumbelChannel: Channel {
    public var isDifferentiable: Bool { true }

    public init() {}

    public func listenerLearns(_ listener: Listener, counts: GameCounts) -> Float {
        listener.backwardCrossEntropy(scale: 1 / Float(max(counts.speaker, 1)))
    }

    public func speakerLearns(_ speaker: Speaker, rewards: UnsafePointer<Float>) -> Float? {
        speaker.backwardGumbel()
        return nil
    }
}
