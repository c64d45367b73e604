import KoineTensor

/// Discrete symbols trained by REINFORCE (score-function gradients), for both
/// roles (a listener's when its head samples its decision): each agent's
/// loss is −(reward − baseline)·log p(action) − β·H,
/// averaged over its games, where the baseline is a running mean of the
/// agent's own rewards (or zero) and H the entropy of its policy.
public final class ReinforceChannel: Channel {
    /// Settable so population-based training can change it between steps.
    public var entropyWeight: Float
    public let baseline: BaselineKind
    /// How fast an agent's baseline follows its rewards.
    public static let baselineRate: Float = 0.01
    let messageLength: Int
    let capacity: Int
    private let advantages: UnsafeMutablePointer<Float>

    public var isDifferentiable: Bool { false }

    public init(entropyWeight: Float, baseline: BaselineKind, messageLength: Int, capacity: Int) {
        self.entropyWeight = entropyWeight
        self.baseline = baseline
        self.messageLength = messageLength
        self.capacity = capacity
        advantages = .allocate(capacity: max(capacity, 1))
    }

    deinit { advantages.deallocate() }

    /// A listener whose head predicts rather than chooses (the reconstruction
    /// game's, as EGG's deterministic receivers) learns by its loss instead,
    /// the mean over its games; its rewards train only the speaker.
    public func listenerLearns(_ listener: Listener, counts: GameCounts) -> Float {
        guard listener.head.decidesBySampling else {
            return listener.backwardCrossEntropy(scale: 1 / Float(max(counts.listener, 1)))
        }
        let rows = listener.rows
        let subtracted = baseline == .mean ? listener.baseline : 0
        for b in 0..<rows { advantages[b] = listener.rewards[b] - subtracted }
        let loss = listener.backwardReinforce(advantages: advantages, entropyWeight: entropyWeight,
                                              scale: 1 / Float(max(counts.listener, 1)))
        listener.baseline += ReinforceChannel.baselineRate * (listener.accuracy() - listener.baseline)
        return loss
    }

    public func speakerLearns(_ speaker: Speaker, rewards: UnsafePointer<Float>) -> Float? {
        let rows = speaker.rows
        var meanReward: Float = 0
        for b in 0..<rows { meanReward += rewards[b] }
        meanReward /= Float(rows)
        let subtracted = baseline == .mean ? speaker.baseline : 0
        var loss: Float = 0
        for b in 0..<rows {
            advantages[b] = rewards[b] - subtracted
            loss -= advantages[b] * speaker.messageLogProbability(b)
        }
        loss = loss / Float(rows) - entropyWeight * speaker.meanEntropy() * Float(messageLength)
        speaker.backwardReinforce(advantages: advantages, entropyWeight: entropyWeight, scale: 1 / Float(rows))
        speaker.baseline += ReinforceChannel.baselineRate * (meanReward - speaker.baseline)
        return loss
    }
}
