import Foundation
import KoineGame
import KoineTensor
import KoineTelemetry

/// A run's whole configuration, every default filled in (see docs/configuration.md),
/// in the sections of its YAML. Each field is filled from its key in
/// `Configuration.keys`, where its default, range and meaning are declared;
/// the values written here are only blanks for that to overwrite.
public struct Configuration {
    public var seed = 0
    public var game = GameSection()
    public var agents = AgentsSection()
    public var population = PopulationSection()
    public var train = TrainSection()
    public var eval = EvalSection()
    public var telemetry = TelemetrySection()
    public var pbt = PBTSection()

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
        if game.kind == .images && tree.value(at: ["eval", "ease_of_teaching", "every"]) == nil { eval.easeEvery = 0 }
        self.tree = tree
        try validate(source: source)
    }

    /// Checks that cross keys: values that are fine alone but impossible together.
    private func validate(source: String) throws {
        // Sizes first: past this check the object count and every buffer fit
        // in memory, so the arithmetic below cannot overflow.
        if let problem = MemoryEstimate(self).problem(self, source: source) { throw ConfigurationError(problem) }
        if game.kind == .images { try validateImages(source: source) }
        let images = game.images, kind = game.kind.rawValue
        if game.kind != .images && !images.senderAugmentation.isIdentity {
            let key = images.augmentNoise > 0 ? "game.augment.noise" : "game.augment.rotation"
            throw ConfigurationError("\(source): \(key): augmentations alter the image game's sender images; expected none for game.kind \(kind)")
        }
        if game.kind != .images && agents.rotationTask != .none {
            throw ConfigurationError("\(source): agents.rotation_task: the rotation task is played in the image game; expected none for game.kind \(kind)")
        }
        let attributes = game.objects.attributes, holdout = game.objects.holdout
        let training = attributes.reduce(1, *) - holdout
        if game.kind == .attributes && game.candidates > training {
            throw ConfigurationError("\(source): game.candidates: expected at most \(training) (the training objects), got \(game.candidates)")
        }
        if holdout > ObjectSpace.maximumHoldout(attributes) {
            throw ConfigurationError("\(source): game.holdout: \(holdout) would leave some attribute value unseen in training (at most \(ObjectSpace.maximumHoldout(attributes)))")
        }
        if game.variableLength && game.vocabulary < 3 {
            throw ConfigurationError("\(source): game.vocab: expected at least 3 with variable_length (symbol 0 ends a message), got \(game.vocabulary)")
        }
        for (role, reset, count) in population.resets {
            let key = "population.reset.\(role).every"
            if reset.mode == .none { continue }
            if reset.every <= 0 {
                throw ConfigurationError("\(source): \(key): expected a period of at least 1 step for mode \(reset.mode.rawValue)")
            }
            if reset.mode == .staggered && reset.every < count {
                throw ConfigurationError("\(source): \(key): staggered resets need a period of at least one step per agent (\(count)), got \(reset.every)")
            }
        }
        try validatePBT(source: source)
        let endpoint = telemetry.endpoint
        if let problem = Endpoint.problem(with: endpoint) ?? Configuration.unreachable(endpoint) {
            throw ConfigurationError("\(source): telemetry.endpoint: \(problem), got '\(ConfigurationError.shown(endpoint))'")
        }
    }

    /// The image game's own cross-key checks (the data set itself is checked
    /// when it is loaded, before anything is written).
    private func validateImages(source: String) throws {
        let candidates = game.candidates, batch = train.batch, dataset = game.images.dataset
        if candidates > batch {
            throw ConfigurationError("\(source): game.candidates: the image game's candidates come from the batch's images; expected at most train.batch (\(batch)), got \(candidates)")
        }
        if dataset != .shapes && dataset != .fashionMNIST && game.images.datasetPath.isEmpty {
            throw ConfigurationError("\(source): game.dataset_path: expected the directory of the \(dataset.rawValue) data set")
        }
        if agents.visual.mode == .pretrained && agents.visual.weights.isEmpty {
            throw ConfigurationError("\(source): agents.visual.weights: expected a weights file (`koine pretrain` writes one) for mode pretrained")
        }
        try validateRotationTask(source: source)
        if eval.easeEvery > 0 {
            throw ConfigurationError("\(source): eval.ease_of_teaching.every: ease of teaching is measured in the attribute game only; expected 0 (or no key) for the image game, got \(eval.easeEvery)")
        }
        if eval.images < candidates {
            throw ConfigurationError("\(source): eval.images: expected at least one scene of game.candidates (\(candidates)) held-out images, got \(eval.images)")
        }
    }

    /// Mihai & Hare's rotation task is played by one speaker and one listener
    /// sharing one encoder, over relaxed messages (the receiver's head reads
    /// the message), with every game on the speaker's own rank.
    private func validateRotationTask(source: String) throws {
        guard agents.rotationTask != .none else { return }
        let side = agents.rotationTask.rawValue, channel = agents.channel, encoder = agents.encoder
        let speakers = population.speakers, listeners = population.listeners
        if game.images.augmentRotation == .none {
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
        if population.crossRank > 0 {
            throw ConfigurationError("\(source): population.cross_rank: agents.rotation_task plays every game on the speaker's rank; expected 0, got \(population.crossRank)")
        }
        if train.multitask != .uncertainty && train.gameWeight == 0 && train.rotationWeight == 0 {
            throw ConfigurationError("\(source): train.multitask.rotation_weight: with game_weight 0 too, nothing would train; expected a weight above 0")
        }
    }

    /// What is allowed but probably not meant, one line each: a reset period
    /// longer than the run (no reset happens; shipped configs shortened with
    /// `--set train.steps=600` to try them out are like that).
    public var warnings: [String] {
        let steps = train.steps
        let periods = population.resets.compactMap { role, reset, _ -> String? in
            guard reset.mode != .none, reset.every > steps else { return nil }
            return "population.reset.\(role).every: reset period \(reset.every) is longer than the run (train.steps \(steps)); no \(role) will be reset"
        }
        // train.multitask's keys combine the game's loss with the rotation task's.
        let unused = Configuration.keys.filter { $0.path.hasPrefix("train.multitask.") && $0.get(self) != $0.defaultValue }
            .compactMap { key -> String? in
                if agents.rotationTask == .none { return "\(key.path): agents.rotation_task is none, so it has no effect" }
                if train.multitask == .uncertainty && key.path.hasSuffix("_weight") {
                    return "\(key.path): mode uncertainty learns the weights, so it has no effect"
                }
                return nil
            }
        // pbt's keys shape nothing while its rounds are off.
        let idle = pbt.isOn ? [] : Configuration.keys.filter { $0.path.hasPrefix("pbt.") && $0.get(self) != $0.defaultValue }
            .map { "\($0.path): pbt.every is 0 (no population-based training), so it has no effect" }
        // Nor when the first round would come after the last step (pbt-quick.yaml with --set train.steps=600).
        let late = pbt.isOn && pbt.every > steps
            ? ["pbt.every: a round every \(pbt.every) steps is longer than the run (train.steps \(steps)); no population-based training round will happen"]
            : []
        return periods + unused + idle + late
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

    /// Agent settings as the game module wants them: the messages of the
    /// game's channel, the agents' networks and the train section's optimizer.
    public var agentSettings: AgentSettings {
        AgentSettings(
            vocabulary: game.vocabulary, messageLength: game.messageLength, variableLength: game.variableLength, cell: agents.cell,
            symbolInput: agents.symbolInput, hidden: agents.hidden, channel: agents.channel, entropy: Float(agents.entropy),
            temperature: Float(agents.temperature), baseline: agents.baseline, listenerLoss: agents.listenerLoss,
            optimizer: train.optimizerSettings)
    }
}
