import KoineTensor

/// How the game's loss and Mihai & Hare's rotation loss train their shared parameters.
public enum MultitaskMode: String, CaseIterable {
    /// game_weight · L_game + rotation_weight · L_rotation.
    case fixed
    /// Mihai & Hare's receiver-predicts schedule: rotation_weight · L_rotation
    /// alone on odd steps, with game_weight · L_game added on even steps.
    case alternating
    /// Learned weights exp(−sᵢ)·Lᵢ + sᵢ (Kendall, Gal & Cipolla 2018).
    case uncertainty
    /// The fixed weights, with conflicting gradients projected (PCGrad, Yu et al. 2020).
    case pcgrad
}

/// The `train` section: the run's length and batch, the optimizer, how the
/// rotation task's loss joins the game's, and how often the run logs,
/// checks and saves itself.
public struct TrainSection {
    public var steps = 0
    public var batch = 0
    public var optimizer = OptimizerKind.adam
    public var learningRate = 0.0
    public var momentum = 0.0
    public var clip = 0.0
    public var logEvery = 0
    public var checkEvery = 0
    public var checkpointEvery = 0
    public var checkpointKeep = 0
    public var multitask = MultitaskMode.fixed
    public var gameWeight = 0.0
    public var rotationWeight = 0.0
    public var multitaskMeasureEvery = 0

    /// Optimizer settings as the game module wants them.
    public var optimizerSettings: OptimizerSettings {
        OptimizerSettings(kind: optimizer, learningRate: Float(learningRate), momentum: Float(momentum), clip: Float(clip))
    }
}
