import KoineCluster
import KoineGame
import KoineTensor

/// A reset that happened: which role, which agent, before which step.
public struct ResetEvent: Equatable {
    public enum Role: String { case speaker, listener }
    public var role: Role
    public var agent: Int
    public var step: Int
    public var rank: Int = 0
}

/// One rank's population: S speakers and L listeners playing one game, with
/// the pairing and reset schedules of the configuration, and the state a
/// training step works on (agents, encoders, random streams, buffers). The
/// step itself is `trainStep` (TrainingStep.swift).
public final class Population {
    public let configuration: Configuration
    public let settings: AgentSettings
    public let game: ReferentialGame
    /// Every encoder, each once: one when shared, one per agent when private.
    public let encoders: [ObjectEncoder]
    public let sharedEncoder: ObjectEncoder?
    public let speakers: [Speaker]
    public let listeners: [Listener]
    public let channel: Channel
    /// Its period changes only at a population-based training round (`apply`).
    public internal(set) var listenerResets: ResetSchedule
    public let speakerResets: ResetSchedule
    let pairings: Pairings
    let batches: [GameBatch]
    // Generators live in fixed buffers: passing an array element inout made
    // Swift copy the whole array (a heap allocation) on every step.
    let gameStreams: UnsafeMutablePointer<Random>
    let speakerStreams: UnsafeMutablePointer<Random>
    let listenerStreams: UnsafeMutablePointer<Random>
    var pairingStream: Random
    /// Each game's reward for its speaker, averaged over the listeners that played it.
    let speakerRewards: UnsafeMutablePointer<Float>
    /// The step each agent was last (re-)initialised before.
    public internal(set) var speakerBirths: [Int]
    public internal(set) var listenerBirths: [Int]
    let arena: Arena
    /// This step's scene, and the scene of the rank whose games it plays.
    let scenes: Indices
    public let communicator: Communicator
    let exchange: CrossRankExchange?
    /// Games per speaker batch played on another rank.
    public let remoteGames: Int
    /// The shared encoder's gradient all-reduce across ranks, started bucket
    /// by bucket during its backward pass (nil in a single process).
    let gradientBuckets: GradientBuckets?
    /// The rows speakers read when they see an altered view of the scene.
    let senderTargetRows: Indices
    /// Mihai & Hare's rotation task and how its loss meets the game's (`agents.rotation_task`).
    public let rotationTask: RotationTask?
    let multitask: Multitask?
    /// What a step learns from once its games are played (see `trainStep`).
    let objective: StepObjective

    /// Builds the population of rank `rank`. `random` is the run's root
    /// generator; the game and the shared encoder are drawn from it alone so
    /// every rank has the same ones. `sharesListenerWorkspace` (on by
    /// default; off only to compare) lets listeners that take whole turns
    /// share their working buffers and gradients.
    public init(configuration: Configuration, communicator: Communicator = SingleProcessCommunicator(), random: Random,
                sharesListenerWorkspace: Bool = true) throws {
        self.configuration = configuration
        self.communicator = communicator
        settings = configuration.agentSettings
        let arena = Arena()
        self.arena = arena
        let rankStream = random.split(2, UInt64(communicator.rank))
        let (game, task) = try configuration.makeGame(root: random, rankStream: rankStream)
        self.game = game
        let batch = configuration.train.batch, candidates = configuration.game.candidates
        let speakerCount = configuration.population.speakers, listenerCount = configuration.population.listeners
        let settings = self.settings
        let shared = configuration.agents.encoder == .shared
            ? game.makeEncoder(hidden: settings.hidden, optimizer: settings.optimizer, random: random.split(3)) : nil
        var encoders: [ObjectEncoder] = shared.map { [$0] } ?? []
        func encoder(_ key: UInt64, _ index: Int) -> ObjectEncoder {
            if let shared { return shared }
            let made = game.makeEncoder(hidden: settings.hidden, optimizer: settings.optimizer,
                                        random: rankStream.split(key, UInt64(index)))
            encoders.append(made)
            return made
        }
        speakers = (0..<speakerCount).map { s in
            Speaker(settings: settings, encoder: encoder(10, s), capacity: batch, random: rankStream.split(11, UInt64(s)))
        }
        // With one speaker, no games from other ranks and no rotation task,
        // each listener plays, learns and updates before the next one plays
        // (see trainStep): their working buffers and gradients can be one set.
        let remote = communicator.size > 1 ? Int((configuration.population.crossRank * Double(batch)).rounded()) : 0
        let turns = speakerCount == 1 && remote == 0 && configuration.agents.rotationTask == .none
        let workspace = sharesListenerWorkspace && turns && listenerCount > 1 ? Workspace() : nil
        listeners = (0..<listenerCount).map { l in
            Listener(settings: settings, encoder: encoder(20, l), capacity: batch, head: game.listenerHead,
                     random: rankStream.split(21, UInt64(l)), workspace: workspace)
        }
        self.encoders = encoders
        sharedEncoder = shared
        channel = makeChannel(settings, capacity: batch)
        listenerResets = ResetSchedule(settings: configuration.population.listenerReset, count: listenerCount)
        speakerResets = ResetSchedule(settings: configuration.population.speakerReset, count: speakerCount)
        pairings = Pairings(mode: configuration.population.pairing, speakers: speakerCount, listeners: listenerCount)
        batches = (0..<speakerCount).map { _ in GameBatch(size: batch, candidates: game.candidates, arena: arena) }
        func streams(_ purpose: UInt64, _ count: Int) -> UnsafeMutablePointer<Random> {
            let buffer = UnsafeMutablePointer<Random>.allocate(capacity: count)
            for i in 0..<count { (buffer + i).initialize(to: rankStream.split(purpose, UInt64(i))) }
            return buffer
        }
        gameStreams = streams(30, speakerCount)
        speakerStreams = streams(31, speakerCount)
        listenerStreams = streams(32, listenerCount)
        pairingStream = rankStream.split(33)
        speakerRewards = arena.floats(batch)
        scenes = arena.indices(max(2 * (game.scenes?.sceneSize ?? 0), 1))
        speakerBirths = Array(repeating: 0, count: speakerCount)
        listenerBirths = Array(repeating: 0, count: listenerCount)
        remoteGames = remote
        senderTargetRows = arena.indices(batch)
        if let task, let shared {
            // The configuration was checked: one speaker, one listener, the shared encoder.
            // The sender's head reads the shared encoder and starts identical on
            // every rank as it does; receivers' heads are their listeners', drawn per rank.
            let sender = configuration.agents.rotationTask == .sender
            let speaker = speakers[0].module.parameters, listener = listeners[0].module.parameters
            multitask = Multitask(configuration: configuration,
                                  shared: sender ? [shared.module.parameters] : [shared.module.parameters, speaker, listener],
                                  gameOnly: sender ? [speaker, listener] : [], senderHead: sender ? task.heads[0].module.parameters : nil,
                                  optimizer: settings.optimizer, random: random.split(5))
            rotationTask = task
        } else {
            rotationTask = nil
            multitask = nil
        }
        if let shared, communicator.size > 1 {
            let parameters = shared.module.parameters
            let buckets = GradientBuckets(communicator: communicator, gradients: parameters.gradients, count: parameters.count)
            // With the rotation task the gradient is final only once the tasks' are combined.
            if rotationTask == nil { shared.gradientReady = { buckets.ready($0) } }
            gradientBuckets = buckets
        } else {
            gradientBuckets = nil
        }
        exchange = remote > 0 ? CrossRankExchange(communicator: communicator, games: remote,
                                                  candidates: game.candidates, settings: settings) : nil
        if let task, let multitask, let shared {
            objective = RotationObjective(task: task, multitask: multitask, speaker: speakers[0], listener: listeners[0],
                                          batch: batches[0], encoder: shared, channel: channel, gradientBuckets: gradientBuckets)
        } else {
            objective = GameObjective(encoders: encoders)
        }
    }

    deinit {
        gameStreams.deallocate()
        speakerStreams.deallocate()
        listenerStreams.deallocate()
    }

    /// Applies the reset schedules before `step`; returns what was reset.
    @discardableResult
    public func applyResets(before step: Int) -> [ResetEvent] {
        var events: [ResetEvent] = []
        for l in listenerResets.agents(before: step) {
            resetListener(l, step: step)
            events.append(ResetEvent(role: .listener, agent: l, step: step, rank: communicator.rank))
        }
        for s in speakerResets.agents(before: step) {
            resetSpeaker(s, step: step)
            events.append(ResetEvent(role: .speaker, agent: s, step: step, rank: communicator.rank))
        }
        if configuration.population.resetSpeakerOptimizer && !listenerResets.agents(before: step).isEmpty {
            // Li & Bowling re-create the speaker's optimizer with every new listener.
            for speaker in speakers {
                speaker.module.optimizer.reset()
                if sharedEncoder == nil { speaker.encoder.module.optimizer.reset() }
            }
        }
        return events
    }

    /// Fresh parameters and optimizer state for listener `l` (and its private
    /// encoder, and its rotation head when it predicts).
    public func resetListener(_ l: Int, step: Int) {
        reinitialise(listeners[l].module, encoder: listeners[l].encoder)
        if let rotationTask, rotationTask.side == .receiver { rotationTask.heads[l].module.reset() }
        listeners[l].baseline = 0
        listenerBirths[l] = step
    }

    /// Fresh parameters and optimizer state for speaker `s` (and its private encoder).
    public func resetSpeaker(_ s: Int, step: Int) {
        reinitialise(speakers[s].module, encoder: speakers[s].encoder)
        speakers[s].baseline = 0
        speakerBirths[s] = step
    }

    private func reinitialise(_ module: Module, encoder: ObjectEncoder) {
        module.reset()
        if sharedEncoder == nil { encoder.reset() }
    }

    /// A checksum of every parameter of this rank (agents, then encoders and
    /// their statistics).
    public func parametersChecksum() -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for speaker in speakers { hash = Checksum.combine(hash, speaker.module.parameters.checksum()) }
        for listener in listeners { hash = Checksum.combine(hash, listener.module.parameters.checksum()) }
        for encoder in encoders { hash = Checksum.combine(hash, Population.checksum(of: encoder)) }
        for (_, module) in taskModules { hash = Checksum.combine(hash, module.parameters.checksum()) }
        return hash
    }

    /// An encoder's parameters and, when it has them, its statistics.
    static func checksum(of encoder: ObjectEncoder) -> UInt64 {
        let parameters = encoder.module.parameters.checksum()
        guard let statistics = encoder.statistics else { return parameters }
        return Checksum.combine(parameters, statistics.checksum())
    }

    /// The greedy lexicon of speaker `s`.
    public func lexicon(of s: Int) -> Lexicon {
        game.lexicon(of: speakers[s])
    }

    /// Greedy evaluation of every speaker with every listener, by the game's measures.
    public func evaluate() -> GameEvaluation {
        game.evaluate(speakers: speakers, listeners: listeners, encoders: encoders, batch: configuration.train.batch)
    }
}
