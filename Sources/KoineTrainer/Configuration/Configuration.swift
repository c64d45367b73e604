import Foundation
import KoineGame
import KoineTelemetry

/// Reset schedules for one role of the population.
public enum ResetMode: String, CaseIterable {
    /// Never.
    case none
    /// Every agent of the role every `every` steps (Li & Bowling's single-listener reset).
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

public enum GameKind: String, CaseIterable {
    case attributes
}

/// A run's whole configuration, every default filled in (see README: Configuration).
public struct Configuration {
    public var seed: Int
    // game
    public var game: GameKind
    public var attributes: [Int]
    public var holdout: Int
    public var candidates: Int
    public var vocabulary: Int
    public var messageLength: Int
    public var variableLength: Bool
    // agents
    public var cell: CellKind
    public var hidden: Int
    public var channel: ChannelKind
    public var entropy: Double
    public var temperature: Double
    public var baseline: BaselineKind
    public var encoder: EncoderMode
    // population
    public var speakers: Int
    public var listeners: Int
    public var pairing: PairingMode
    public var crossRank: Double
    public var listenerReset: ResetSettings
    public var speakerReset: ResetSettings
    // train
    public var steps: Int
    public var batch: Int
    public var optimizer: OptimizerKind
    public var learningRate: Double
    public var momentum: Double
    public var clip: Double
    public var logEvery: Int
    public var checkEvery: Int
    public var checkpointEvery: Int
    public var checkpointKeep: Int
    // eval
    public var evalEvery: Int
    public var distance: MeaningDistance
    public var easeEvery: Int
    public var easeListeners: Int
    public var easeSteps: Int
    // telemetry
    public var telemetryEndpoint: String
    public var telemetryEvery: Int

    /// The YAML tree this configuration was read from (after overrides).
    public private(set) var tree: ConfigurationTree = .mapping([])

    /// Reads `file`, applies `overrides` (`key.path=value`), checks every key
    /// and value, and fills in defaults.
    public static func load(file: String, overrides: [String] = []) throws -> Configuration {
        guard FileManager.default.fileExists(atPath: file) else {
            throw ConfigurationError("\(file): config file not found")
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
        let r = ConfigurationReader(tree: tree, source: source)
        guard tree.value(at: ["game"]) != nil else {
            throw ConfigurationError("\(source): missing key game (e.g. game: {kind: attributes})")
        }
        seed = try r.integer("seed", default: 1, minimum: 0)
        game = try r.choice("game.kind", default: .attributes)
        attributes = try r.integers("game.attributes", default: [8, 4], minimum: 1)
        holdout = try r.integer("game.holdout", default: 0, minimum: 0)
        candidates = try r.integer("game.candidates", default: 5, minimum: 2)
        vocabulary = try r.integer("game.vocab", default: 8, minimum: 2)
        messageLength = try r.integer("game.message_length", default: 2, minimum: 1, maximum: 64)
        variableLength = try r.boolean("game.variable_length", default: false)
        cell = try r.choice("agents.cell", default: .lstm)
        hidden = try r.integer("agents.hidden", default: 100, minimum: 1, maximum: 65_536)
        channel = try r.choice("agents.channel", default: .reinforce)
        entropy = try r.real("agents.entropy", default: 0.1, minimum: 0)
        temperature = try r.real("agents.temperature", default: 1, minimum: 0, exclusiveMinimum: true)
        baseline = try r.choice("agents.baseline", default: .mean)
        encoder = try r.choice("agents.encoder", default: .shared)
        speakers = try r.integer("population.speakers", default: 1, minimum: 1, maximum: 10_000)
        listeners = try r.integer("population.listeners", default: 1, minimum: 1, maximum: 10_000)
        pairing = try r.choice("population.pairing", default: .all)
        crossRank = try r.real("population.cross_rank", default: 0, minimum: 0, maximum: 1)
        listenerReset = ResetSettings(
            mode: try r.choice("population.reset.listeners.mode", default: .none),
            every: try r.integer("population.reset.listeners.every", default: 0, minimum: 0))
        speakerReset = ResetSettings(
            mode: try r.choice("population.reset.speakers.mode", default: .none),
            every: try r.integer("population.reset.speakers.every", default: 0, minimum: 0))
        steps = try r.integer("train.steps", default: 300_000, minimum: 1)
        batch = try r.integer("train.batch", default: 100, minimum: 1, maximum: 1_000_000)
        optimizer = try r.choice("train.optimizer.kind", default: .adam)
        learningRate = try r.real("train.optimizer.lr", default: 0.001, minimum: 0, exclusiveMinimum: true)
        momentum = try r.real("train.optimizer.momentum", default: 0.9, minimum: 0, maximum: 1)
        clip = try r.real("train.optimizer.clip", default: 0, minimum: 0)
        logEvery = try r.integer("train.log_every", default: 1000, minimum: 0)
        checkEvery = try r.integer("train.check_every", default: 1000, minimum: 0)
        checkpointEvery = try r.integer("train.checkpoint.every", default: 10_000, minimum: 0)
        checkpointKeep = try r.integer("train.checkpoint.keep", default: 3, minimum: 1)
        evalEvery = try r.integer("eval.every", default: 6000, minimum: 0)
        distance = try r.choice("eval.distance", default: .cosine)
        easeEvery = try r.integer("eval.ease_of_teaching.every", default: 60_000, minimum: 0)
        easeListeners = try r.integer("eval.ease_of_teaching.listeners", default: 30, minimum: 1)
        easeSteps = try r.integer("eval.ease_of_teaching.steps", default: 1000, minimum: 1)
        telemetryEndpoint = try r.text("telemetry.endpoint", default: Endpoint.defaultCollector.description)
        telemetryEvery = try r.integer("telemetry.every", default: 100, minimum: 0)
        try r.rejectUnknownKeys()
        self.tree = tree
        try validate(source: source)
    }

    /// Checks that cross keys: values that are fine alone but impossible together.
    private func validate(source: String) throws {
        let objects = attributes.reduce(1, *)
        let training = objects - holdout
        if candidates > training {
            throw ConfigurationError("\(source): game.candidates: expected at most \(training) (the training objects), got \(candidates)")
        }
        if holdout > ObjectSpace.maximumHoldout(attributes) {
            throw ConfigurationError("\(source): game.holdout: \(holdout) would leave some attribute value unseen in training (at most \(ObjectSpace.maximumHoldout(attributes)))")
        }
        if variableLength && vocabulary < 3 {
            throw ConfigurationError("\(source): game.vocab: expected at least 3 with variable_length (symbol 0 ends a message), got \(vocabulary)")
        }
        for (role, reset, count) in [("listeners", listenerReset, listeners), ("speakers", speakerReset, speakers)] {
            let key = "population.reset.\(role).every"
            if reset.mode == .none { continue }
            if reset.every <= 0 {
                throw ConfigurationError("\(source): \(key): expected a period of at least 1 step for mode \(reset.mode.rawValue)")
            }
            if reset.every > steps {
                throw ConfigurationError("\(source): \(key): reset period \(reset.every) is longer than the run (train.steps \(steps))")
            }
            if reset.mode == .staggered && reset.every < count {
                throw ConfigurationError("\(source): \(key): staggered resets need a period of at least one step per agent (\(count)), got \(reset.every)")
            }
        }
        if let problem = Endpoint.problem(with: telemetryEndpoint) {
            throw ConfigurationError("\(source): telemetry.endpoint: \(problem), got '\(telemetryEndpoint)'")
        }
    }

    /// Agent settings as the game module wants them.
    public var agentSettings: AgentSettings {
        AgentSettings(
            vocabulary: vocabulary, messageLength: messageLength, variableLength: variableLength, cell: cell,
            hidden: hidden, channel: channel, entropy: Float(entropy), temperature: Float(temperature),
            baseline: baseline,
            optimizer: OptimizerSettings(kind: optimizer, learningRate: Float(learningRate), momentum: Float(momentum), clip: Float(clip)))
    }
}
