import Foundation
import KoineGame
import KoineTensor
import KoineTelemetry

/// Reset schedules for one role of the population.
public enum ResetMode: String, CaseIterable {
    /// Never.
    case none
    /// The same schedule as `simultaneous`, under the name of Li & Bowling's
    /// single-listener reset (their shipped configs use it); kept as a name,
    /// not as a behaviour of its own.
    case sequential
    /// The oldest agent every `every / count` steps, so each lives `every` steps.
    case staggered
    /// Every agent of the role at once every `every` steps.
    case simultaneous
}

public struct ResetSettings: Equatable {
    public var mode: ResetMode
    public var every: Int
}

public enum PairingMode: String, CaseIterable {
    /// Every speaker plays every listener each step.
    case all
    /// Each speaker plays one listener drawn at random each step.
    case uniform
    /// Speaker s plays listener (s + step) mod L.
    case roundRobin = "round_robin"
}

public enum EncoderMode: String, CaseIterable {
    case shared, `private`
}

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

public enum GameKind: String, CaseIterable {
    case attributes
    case images
    case reconstruction
}

/// A run's whole configuration, every default filled in (see docs/configuration.md).
/// Each field is filled from its key in `Configuration.keys`, where its
/// default, range and meaning are declared; the values written here are
/// only blanks for that to overwrite.
public struct Configuration {
    public var seed = 0
    // game
    public var game = GameKind.attributes
    public var attributes: [Int] = []
    public var holdout = 0
    public var candidates = 0
    public var vocabulary = 0
    public var messageLength = 0
    public var variableLength = false
    public var dataset = ImageDatasetKind.shapes
    public var datasetPath = ""
    public var shapesTrain = 0
    public var shapesTest = 0
    public var augmentNoise = 0.0
    public var augmentRotation = ImageAugmentation.Rotation.none
    // agents
    public var cell = CellKind.lstm
    public var symbolInput = SymbolInputKind.embedding
    public var hidden = 0
    public var channel = ChannelKind.reinforce
    public var entropy = 0.0
    public var temperature = 0.0
    public var baseline = BaselineKind.none
    public var encoder = EncoderMode.shared
    public var listenerLoss = ListenerLossKind.crossEntropy
    public var visualMode = VisualEncoderMode.learned
    public var visualWidths: [Int] = []
    public var visualConvolutions = 0
    public var visualBatchNorm = false
    public var visualWeights = ""
    public var rotationTask = RotationTask.Side.none
    // population
    public var speakers = 0
    public var listeners = 0
    public var pairing = PairingMode.all
    public var crossRank = 0.0
    public var listenerReset = ResetSettings(mode: .none, every: 0)
    public var speakerReset = ResetSettings(mode: .none, every: 0)
    public var resetSpeakerOptimizer = false
    // train
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
    // eval
    public var evalEvery = 0
    public var distance = MeaningDistance.cosine
    public var evalImages = 0
    public var interactions = 0
    public var easeEvery = 0
    public var easeListeners = 0
    public var easeSteps = 0
    public var easeChoices = TeachingChoices.greedy
    public var easeEntropy = 0.1
    // telemetry
    public var telemetryEndpoint = ""
    public var telemetryEvery = 0

    /// The YAML tree this configuration was read from (after overrides).
    public private(set) var tree: ConfigurationTree = .mapping([])

    /// Reads `file`, applies `overrides` (`key.path=value`), checks every key
    /// and value, and fills in defaults.
    public static func load(file: String, overrides: [String] = []) throws -> Configuration {
        guard FileManager.default.fileExists(atPath: file) else {
            throw ConfigurationError("\(file): config file not found")
        }
        // Sized before it is read, so a huge file is refused without loading it.
        if let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int, size > YAMLLimits.bytes {
            throw YAMLLimits.tooLarge(file, bytes: size)
        }
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError("\(file): cannot read the config file as UTF-8 text")
        }
        return try parse(text, source: file, overrides: overrides)
    }

    public static func parse(_ text: String, source: String, overrides: [String] = []) throws -> Configuration {
        var tree = try ConfigurationTree.parse(text, source: source)
        if case .scalar = tree { throw ConfigurationError("\(source): expected a mapping of keys at the top level") }
        if case .sequence = tree { throw ConfigurationError("\(source): expected a mapping of keys at the top level") }
        if case .null = tree { tree = .mapping([]) }
        for assignment in overrides { tree = try tree.overriding(assignment) }
        return try Configuration(tree: tree, source: source)
    }

    init(tree: ConfigurationTree, source: String) throws {
        guard tree.value(at: ["game"]) != nil else {
            throw ConfigurationError("\(source): missing key game (e.g. game: {kind: attributes})")
        }
        let reader = ConfigurationReader(tree: tree, source: source)
        for key in Configuration.keys { key.set(&self, try reader.value(of: key)) }
        try reader.rejectUnknownKeys()
        // Ease of teaching is the attribute game's measure: the image game
        // has it off unless a configuration asks (and is then refused).
        if game == .images && tree.value(at: ["eval", "ease_of_teaching", "every"]) == nil { easeEvery = 0 }
        self.tree = tree
        try validate(source: source)
    }

    /// Checks that cross keys: values that are fine alone but impossible together.
    private func validate(source: String) throws {
        // Sizes first: past this check the object count and every buffer fit
        // in memory, so the arithmetic below cannot overflow.
        if let problem = MemoryEstimate(self).problem(self, source: source) { throw ConfigurationError(problem) }
        if game == .images { try validateImages(source: source) }
        if game != .images && !senderAugmentation.isIdentity {
            let key = augmentNoise > 0 ? "game.augment.noise" : "game.augment.rotation"
            throw ConfigurationError("\(source): \(key): augmentations alter the image game's sender images; expected none for game.kind \(game.rawValue)")
        }
        if game != .images && rotationTask != .none {
            throw ConfigurationError("\(source): agents.rotation_task: the rotation task is played in the image game; expected none for game.kind \(game.rawValue)")
        }
        let objects = attributes.reduce(1, *)
        let training = objects - holdout
        if game == .attributes && candidates > training {
            throw ConfigurationError("\(source): game.candidates: expected at most \(training) (the training objects), got \(candidates)")
        }
        if holdout > ObjectSpace.maximumHoldout(attributes) {
            throw ConfigurationError("\(source): game.holdout: \(holdout) would leave some attribute value unseen in training (at most \(ObjectSpace.maximumHoldout(attributes)))")
        }
        if variableLength && vocabulary < 3 {
            throw ConfigurationError("\(source): game.vocab: expected at least 3 with variable_length (symbol 0 ends a message), got \(vocabulary)")
        }
        for (role, reset, count) in resets {
            let key = "population.reset.\(role).every"
            if reset.mode == .none { continue }
            if reset.every <= 0 {
                throw ConfigurationError("\(source): \(key): expected a period of at least 1 step for mode \(reset.mode.rawValue)")
            }
            if reset.mode == .staggered && reset.every < count {
                throw ConfigurationError("\(source): \(key): staggered resets need a period of at least one step per agent (\(count)), got \(reset.every)")
            }
        }
        if let problem = Endpoint.problem(with: telemetryEndpoint) ?? Configuration.unreachable(telemetryEndpoint) {
            throw ConfigurationError("\(source): telemetry.endpoint: \(problem), got '\(ConfigurationError.shown(telemetryEndpoint))'")
        }
    }

    /// The image game's own cross-key checks (the data set itself is checked
    /// when it is loaded, before anything is written).
    private func validateImages(source: String) throws {
        if candidates > batch {
            throw ConfigurationError("\(source): game.candidates: the image game's candidates come from the batch's images; expected at most train.batch (\(batch)), got \(candidates)")
        }
        if dataset != .shapes && dataset != .fashionMNIST && datasetPath.isEmpty {
            throw ConfigurationError("\(source): game.dataset_path: expected the directory of the \(dataset.rawValue) data set")
        }
        if visualMode == .pretrained && visualWeights.isEmpty {
            throw ConfigurationError("\(source): agents.visual.weights: expected a weights file (`koine pretrain` writes one) for mode pretrained")
        }
        try validateRotationTask(source: source)
        if easeEvery > 0 {
            throw ConfigurationError("\(source): eval.ease_of_teaching.every: ease of teaching is measured in the attribute game only; expected 0 (or no key) for the image game, got \(easeEvery)")
        }
        if evalImages < candidates {
            throw ConfigurationError("\(source): eval.images: expected at least one scene of game.candidates (\(candidates)) held-out images, got \(evalImages)")
        }
    }

    /// The sender's augmented view, as the image game applies it.
    public var senderAugmentation: ImageAugmentation {
        ImageAugmentation(noise: Float(augmentNoise), rotation: augmentRotation)
    }

    /// Mihai & Hare's rotation task is played by one speaker and one listener
    /// sharing one encoder, over relaxed messages (the receiver's head reads
    /// the message), with every game on the speaker's own rank.
    private func validateRotationTask(source: String) throws {
        guard rotationTask != .none else { return }
        let side = rotationTask.rawValue
        if augmentRotation == .none {
            throw ConfigurationError("\(source): game.augment.rotation: agents.rotation_task \(side) predicts the rotation of the sender's image; expected quarter_turns or any_angle, got none")
        }
        if channel != .gumbel {
            throw ConfigurationError("\(source): agents.channel: agents.rotation_task is trained through relaxed messages; expected gumbel, got \(channel.rawValue)")
        }
        if encoder != .shared {
            throw ConfigurationError("\(source): agents.encoder: agents.rotation_task shapes the encoder the game shares; expected shared, got \(encoder.rawValue)")
        }
        if speakers != 1 || listeners != 1 {
            let key = speakers != 1 ? "population.speakers" : "population.listeners"
            throw ConfigurationError("\(source): \(key): agents.rotation_task is played by one speaker and one listener per rank; expected 1, got \(speakers != 1 ? speakers : listeners)")
        }
        if crossRank > 0 {
            throw ConfigurationError("\(source): population.cross_rank: agents.rotation_task plays every game on the speaker's rank; expected 0, got \(crossRank)")
        }
        if multitask != .uncertainty && gameWeight == 0 && rotationWeight == 0 {
            throw ConfigurationError("\(source): train.multitask.rotation_weight: with game_weight 0 too, nothing would train; expected a weight above 0")
        }
    }

    private var resets: [(role: String, settings: ResetSettings, count: Int)] {
        [("listeners", listenerReset, listeners), ("speakers", speakerReset, speakers)]
    }

    /// What is allowed but probably not meant, one line each: a reset period
    /// longer than the run (no reset happens; shipped configs shortened with
    /// `--set train.steps=600` to try them out are like that).
    public var warnings: [String] {
        let periods = resets.compactMap { role, reset, _ -> String? in
            guard reset.mode != .none, reset.every > steps else { return nil }
            return "population.reset.\(role).every: reset period \(reset.every) is longer than the run (train.steps \(steps)); no \(role) will be reset"
        }
        // train.multitask's keys combine the game's loss with the rotation task's.
        let unused = Configuration.keys.filter { $0.path.hasPrefix("train.multitask.") && $0.get(self) != $0.defaultValue }
            .compactMap { key -> String? in
                if rotationTask == .none { return "\(key.path): agents.rotation_task is none, so it has no effect" }
                if multitask == .uncertainty && key.path.hasSuffix("_weight") {
                    return "\(key.path): mode uncertainty learns the weights, so it has no effect"
                }
                return nil
            }
        return periods + unused
    }

    /// Longest path of an `ipc://` endpoint: a Unix socket address holds 108
    /// bytes with the terminating zero.
    static let longestSocketPath = 107

    /// Why a trainer could not connect to `endpoint` though it parses: the
    /// endpoint is checked here, when the configuration is read, so the run
    /// fails before it writes anything.
    static func unreachable(_ endpoint: String) -> String? {
        switch try? Endpoint(parsing: endpoint) {
        case .tcp(let host, _)? where host == "*":
            return "a trainer connects to a collector: expected a host name or address, not the wildcard *"
        case .ipc(let path)? where path.utf8.count > longestSocketPath:
            return "the ipc:// path is \(path.utf8.count) bytes; a socket path may have at most \(longestSocketPath)"
        case .inproc?:
            return "inproc:// stays inside one process; a trainer sends to a collector in another (tcp:// or ipc://)"
        default:
            return nil
        }
    }

    /// How fresh listeners choose and learn in an ease-of-teaching measurement.
    public var teachingRule: TeachingRule { TeachingRule(easeChoices, entropyWeight: Float(easeEntropy)) }

    /// Agent settings as the game module wants them.
    public var agentSettings: AgentSettings {
        AgentSettings(
            vocabulary: vocabulary, messageLength: messageLength, variableLength: variableLength, cell: cell,
            symbolInput: symbolInput, hidden: hidden, channel: channel, entropy: Float(entropy), temperature: Float(temperature),
            baseline: baseline, listenerLoss: listenerLoss,
            optimizer: OptimizerSettings(kind: optimizer, learningRate: Float(learningRate), momentum: Float(momentum), clip: Float(clip)))
    }
}
