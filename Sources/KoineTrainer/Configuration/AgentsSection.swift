import KoineGame

public enum EncoderMode: String, CaseIterable {
    case shared, `private`
}

/// The `agents` section: the speakers' and listeners' networks and how
/// they learn, with the image game's encoder in `visual`.
public struct AgentsSection {
    public var cell = CellKind.lstm
    public var symbolInput = SymbolInputKind.embedding
    public var hidden = 0
    public var channel = ChannelKind.reinforce
    public var entropy = 0.0
    public var temperature = 0.0
    public var baseline = BaselineKind.none
    public var encoder = EncoderMode.shared
    public var listenerLoss = ListenerLossKind.crossEntropy
    /// The image game's convolutional encoder.
    public var visual = Visual()
    public var rotationTask = RotationTask.Side.none

    /// The image game's encoder: its convolutional stack and how that trains.
    public struct Visual {
        public var mode = VisualEncoderMode.learned
        public var widths: [Int] = []
        public var convolutions = 0
        public var batchNorm = false
        public var weights = ""

        /// The encoder's settings as the game module wants them.
        public var encoderSettings: VisualEncoderSettings {
            VisualEncoderSettings(mode: mode, widths: widths, convolutionsPerBlock: convolutions,
                                  batchNorm: batchNorm, pretrainedPath: weights.isEmpty ? nil : weights)
        }
    }
}
