import KoineTensor

/// Gumbel-Softmax straight-through (Jang et al. 2017; Havrylov & Titov 2017):
/// the speaker sends one-hot symbols whose gradient is the relaxed sample's,
/// so the listener's loss on the target (cross-entropy of its position, or
/// Havrylov & Titov's hinge loss) trains both the listener and, through the
/// message, the speaker. The loss belongs to the speaker's batch: it is
/// averaged over every game the speaker plays.
public final class GumbelChannel: Channel {
    public let loss: ListenerLossKind
    public var isDifferentiable: Bool { true }

    public init(loss: ListenerLossKind = .crossEntropy) {
        self.loss = loss
    }

    public func listenerLearns(_ listener: Listener, counts: GameCounts) -> Float {
        let scale = 1 / Float(max(counts.speaker, 1))
        switch loss {
        case .crossEntropy: return listener.backwardCrossEntropy(scale: scale)
        case .hinge: return listener.backwardHinge(scale: scale)
        }
    }

    public func speakerLearns(_ speaker: Speaker, rewards: UnsafePointer<Float>) -> Float? {
        speaker.backwardGumbel()
        return nil
    }
}
