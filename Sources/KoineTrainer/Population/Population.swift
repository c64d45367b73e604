import KoineCluster
import KoineGame
import KoineTensor

/// Figures of one training step, summed over its games.
public struct StepFigures {
    public var games = 0
    public var wins: Double = 0
    public var speakerLoss: Double = 0
    public var listenerLoss: Double = 0
    public var speakerEntropy: Double = 0
    public var listenerEntropy: Double = 0
    public var speakerBatches = 0
    public var listenerBatches = 0
    /// Games this rank's listeners played for another rank's speakers.
    public var crossRankGames = 0
    /// Rewards (or message gradients) this rank's speakers received back.
    public var crossRankReplies = 0

    public init() {}

    public mutating func add(_ other: StepFigures) {
        games += other.games
        wins += other.wins
        speakerLoss += other.speakerLoss
        listenerLoss += other.listenerLoss
        speakerEntropy += other.speakerEntropy
        listenerEntropy += other.listenerEntropy
        speakerBatches += other.speakerBatches
        listenerBatches += other.listenerBatches
        crossRankGames += other.crossRankGames
        crossRankReplies += other.crossRankReplies
    }

    /// The figures as Doubles, in a fixed order, for reductions over ranks.
    public var packed: [Double] {
        [Double(games), wins, speakerLoss, listenerLoss, speakerEntropy, listenerEntropy,
         Double(speakerBatches), Double(listenerBatches), Double(crossRankGames), Double(crossRankReplies)]
    }

    public init(packed p: [Double]) {
        games = Int(p[0]); wins = p[1]; speakerLoss = p[2]; listenerLoss = p[3]
        speakerEntropy = p[4]; listenerEntropy = p[5]; speakerBatches = Int(p[6]); listenerBatches = Int(p[7])
        crossRankGames = Int(p[8]); crossRankReplies = Int(p[9])
    }

    public var accuracy: Double { games > 0 ? wins / Double(games) : 0 }
    public var meanSpeakerLoss: Double { speakerBatches > 0 ? speakerLoss / Double(speakerBatches) : 0 }
    public var meanListenerLoss: Double { listenerBatches > 0 ? listenerLoss / Double(listenerBatches) : 0 }
    public var loss: Double { meanSpeakerLoss + meanListenerLoss }
    public var meanSpeakerEntropy: Double { speakerBatches > 0 ? speakerEntropy / Double(speakerBatches) : 0 }
    public var meanListenerEntropy: Double { listenerBatches > 0 ? listenerEntropy / Double(listenerBatches) : 0 }
}

/// A reset that happened: which role, which agent, before which step.
public struct ResetEvent: Equatable {
    public enum Role: String { case speaker, listener }
    public var role: Role
    public var agent: Int
    public var step: Int
    public var rank: Int = 0
}

/// One rank's population: S speakers and L listeners playing referential
/// games, with the pairing and reset schedules of the configuration.
public final class Population {
    public let configuration: Configuration
    public let settings: AgentSettings
    public let space: ObjectSpace
    /// Every encoder, each once: one when shared, one per agent when private.
    public let encoders: [ObjectEncoder]
    public let sharedEncoder: ObjectEncoder?
    public let speakers: [Speaker]
    public let listeners: [Listener]
    public let listenerResets: ResetSchedule
    public let speakerResets: ResetSchedule
    let pairing: PairingSchedule
    let sampler: GameSampler
    let arena: Arena
    let batches: [GameBatch]
    // Generators live in fixed buffers: passing an array element inout made
    // Swift copy the whole array (a heap allocation) on every step.
    let gameStreams: UnsafeMutablePointer<Random>
    let speakerStreams: UnsafeMutablePointer<Random>
    let listenerStreams: UnsafeMutablePointer<Random>
    var pairingStream: Random
    let plays: UnsafeMutablePointer<Int>
    let advantages: UnsafeMutablePointer<Float>
    let speakerRewards: UnsafeMutablePointer<Float>
    /// The step each agent was last (re-)initialised before.
    public internal(set) var speakerBirths: [Int]
    public internal(set) var listenerBirths: [Int]
    let scratch: Indices

    /// Builds the population of rank `rank`. `random` is the run's root
    /// generator; the shared encoder is drawn from it alone so every rank
    /// starts with the same one.
    public let communicator: Communicator
    let exchange: CrossRankExchange?
    /// Games per speaker batch played on another rank.
    public let remoteGames: Int

    public init(configuration: Configuration, communicator: Communicator = SingleProcessCommunicator(), random: Random) throws {
        self.configuration = configuration
        self.communicator = communicator
        let rank = communicator.rank
        settings = configuration.agentSettings
        let arena = Arena()
        self.arena = arena
        space = try ObjectSpace(attributes: configuration.attributes, holdout: configuration.holdout, random: random.split(1))
        let rankStream = random.split(2, UInt64(rank))
        let batch = configuration.batch
        var encoders: [ObjectEncoder] = []
        let shared: ObjectEncoder?
        if configuration.encoder == .shared {
            shared = ObjectEncoder(space: space, hidden: settings.hidden, optimizer: settings.optimizer, random: random.split(3))
            encoders.append(shared!)
        } else {
            shared = nil
        }
        let settings = self.settings, space = self.space
        func encoder(_ key: UInt64, _ index: Int) -> ObjectEncoder {
            if let shared { return shared }
            let made = ObjectEncoder(space: space, hidden: settings.hidden, optimizer: settings.optimizer,
                                     random: rankStream.split(key, UInt64(index)))
            encoders.append(made)
            return made
        }
        var speakers: [Speaker] = []
        for s in 0..<configuration.speakers {
            speakers.append(Speaker(settings: settings, encoder: encoder(10, s), capacity: batch,
                                    random: rankStream.split(11, UInt64(s))))
        }
        var listeners: [Listener] = []
        for l in 0..<configuration.listeners {
            listeners.append(Listener(settings: settings, encoder: encoder(20, l), capacity: batch,
                                      candidates: configuration.candidates, random: rankStream.split(21, UInt64(l))))
        }
        self.encoders = encoders
        sharedEncoder = shared
        self.speakers = speakers
        self.listeners = listeners
        listenerResets = ResetSchedule(settings: configuration.listenerReset, count: configuration.listeners)
        speakerResets = ResetSchedule(settings: configuration.speakerReset, count: configuration.speakers)
        pairing = PairingSchedule(mode: configuration.pairing, speakers: configuration.speakers, listeners: configuration.listeners)
        sampler = GameSampler(targets: space.trainingObjects, distractors: space.trainingObjects, candidates: configuration.candidates)
        batches = (0..<configuration.speakers).map { _ in GameBatch(size: batch, candidates: configuration.candidates, arena: arena) }
        func streams(_ purpose: UInt64, _ count: Int) -> UnsafeMutablePointer<Random> {
            let buffer = UnsafeMutablePointer<Random>.allocate(capacity: count)
            for i in 0..<count { (buffer + i).initialize(to: rankStream.split(purpose, UInt64(i))) }
            return buffer
        }
        gameStreams = streams(30, configuration.speakers)
        speakerStreams = streams(31, configuration.speakers)
        listenerStreams = streams(32, configuration.listeners)
        pairingStream = rankStream.split(33)
        plays = UnsafeMutablePointer<Int>.allocate(capacity: configuration.listeners)
        advantages = arena.floats(batch)
        speakerRewards = arena.floats(batch)
        speakerBirths = Array(repeating: 0, count: configuration.speakers)
        listenerBirths = Array(repeating: 0, count: configuration.listeners)
        scratch = arena.indices(max(batch, 1))
        partnerTable = UnsafeMutablePointer<Int>.allocate(capacity: configuration.speakers * configuration.listeners)
        partnerCounts = UnsafeMutablePointer<Int>.allocate(capacity: configuration.speakers)
        lastSpeaker = UnsafeMutablePointer<Int>.allocate(capacity: configuration.listeners)
        let remote = communicator.size > 1 ? Int((configuration.crossRank * Double(batch)).rounded()) : 0
        remoteGames = remote
        exchange = remote > 0 ? CrossRankExchange(communicator: communicator, games: remote,
                                                  candidates: configuration.candidates, settings: settings) : nil
    }

    let partnerTable: UnsafeMutablePointer<Int>
    let partnerCounts: UnsafeMutablePointer<Int>
    /// The last speaker each listener plays in the current step (-1: none).
    let lastSpeaker: UnsafeMutablePointer<Int>

    deinit {
        gameStreams.deallocate()
        speakerStreams.deallocate()
        listenerStreams.deallocate()
        plays.deallocate()
        partnerTable.deallocate()
        partnerCounts.deallocate()
        lastSpeaker.deallocate()
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
        return events
    }

    public func resetListener(_ l: Int, step: Int) {
        let listener = listeners[l]
        listener.module.reset()
        listener.baseline = 0
        if sharedEncoder == nil { listener.encoder.module.reset() }
        listenerBirths[l] = step
    }

    public func resetSpeaker(_ s: Int, step: Int) {
        let speaker = speakers[s]
        speaker.module.reset()
        speaker.baseline = 0
        if sharedEncoder == nil { speaker.encoder.module.reset() }
        speakerBirths[s] = step
    }

    /// Forward and backward for every game of one step. Each speaker and
    /// listener takes its optimizer step as soon as its last game of the step
    /// is done, while its gradient is still in cache (the same arithmetic as
    /// updating them all at the end: nothing reads an agent after its last
    /// game). Encoders keep their gradients for `applyAgentGradients` and
    /// `applySharedEncoderGradient`.
    public func playStep(_ step: Int) throws -> StepFigures {
        var figures = StepFigures()
        for encoder in encoders { encoder.forward() }
        let L = listeners.count
        for l in 0..<L {
            plays[l] = 0
            lastSpeaker[l] = -1
        }
        for s in 0..<speakers.count {
            let count = pairing.partners(of: s, step: step, random: &pairingStream, into: partnerTable + s * L)
            partnerCounts[s] = count
            for j in 0..<count {
                plays[partnerTable[s * L + j]] += 1
                lastSpeaker[partnerTable[s * L + j]] = s
            }
        }
        let batchSize = configuration.batch
        let local = batchSize - remoteGames
        for s in 0..<speakers.count {
            let speaker = speakers[s], batch = batches[s]
            sampler.sample(into: batch, random: &gameStreams[s])
            speaker.speak(targets: batch.targets, random: &speakerStreams[s], greedy: false)
            for b in 0..<batchSize { speakerRewards[b] = 0 }
            let count = partnerCounts[s]
            if let exchange {
                // The last games of the batch go to another rank; this rank
                // plays the games that rank sent in their place.
                let offset = exchange.offset(step: step)
                try exchange.exchangeGames(batch, speaker.message, first: local, offset: offset, tag: 2 * s)
                for j in 0..<count {
                    let l = partnerTable[s * L + j]
                    play(listener: l, message: exchange.message, batch: exchange.batch, scale: Float(batchSize * count),
                         rewardsInto: exchange.rewards, partners: count, figures: &figures)
                    if local == 0 && lastSpeaker[l] == s { listeners[l].module.step() }
                }
                figures.crossRankGames += remoteGames * count
                try exchange.exchangeReplies(offset: offset, tag: 2 * s + 1, first: local,
                                             speakerRewards: speakerRewards, sent: speaker.message)
                figures.crossRankReplies += remoteGames
            }
            if local > 0 {
                var message = speaker.message
                message.rows = local
                for j in 0..<count {
                    let l = partnerTable[s * L + j]
                    play(listener: l, message: message, batch: batch.prefix(local), scale: Float(batchSize * count),
                         rewardsInto: speakerRewards, partners: count, figures: &figures)
                    if lastSpeaker[l] == s { listeners[l].module.step() }
                }
            }
            learn(speaker: s, figures: &figures)
            speaker.module.step()
        }
        // Listeners no speaker chose this step still take their (zero-gradient) step.
        for l in 0..<L where lastSpeaker[l] < 0 { listeners[l].module.step() }
        for encoder in encoders { encoder.backward() }
        return figures
    }

    /// One listener plays a batch of games and learns from them; its rewards
    /// are averaged into `rewardsInto` over the speaker's `partners`.
    private func play(listener l: Int, message: Message, batch: GameBatch, scale: Float,
                      rewardsInto rewards: UnsafeMutablePointer<Float>, partners: Int, figures: inout StepFigures) {
        let listener = listeners[l]
        let rows = batch.size
        listener.listen(to: message, batch: batch, random: &listenerStreams[l], greedy: false)
        if settings.channel == .gumbel {
            listener.backwardCrossEntropy(scale: 1 / scale)
        } else {
            let baseline = settings.baseline == .mean ? listener.baseline : 0
            for b in 0..<rows { advantages[b] = listener.rewards[b] - baseline }
            listener.backwardReinforce(advantages: advantages, scale: 1 / Float(configuration.batch * max(plays[l], 1)))
        }
        let accuracy = listener.accuracy()
        listener.baseline += 0.01 * (accuracy - listener.baseline)
        for b in 0..<rows { rewards[b] += listener.rewards[b] / Float(partners) }
        figures.games += rows
        figures.wins += Double(accuracy) * Double(rows)
        figures.listenerLoss += Double(listener.loss)
        figures.listenerEntropy += Double(listener.meanEntropy())
        figures.listenerBatches += 1
    }

    /// The speaker learns from the rewards (or message gradients) of all its games.
    private func learn(speaker s: Int, figures: inout StepFigures) {
        let speaker = speakers[s]
        let batchSize = configuration.batch
        var meanReward: Float = 0
        for b in 0..<batchSize { meanReward += speakerRewards[b] }
        meanReward /= Float(batchSize)
        if settings.channel == .gumbel {
            speaker.backwardGumbel()
        } else {
            let baseline = settings.baseline == .mean ? speaker.baseline : 0
            var loss: Float = 0
            for b in 0..<batchSize {
                advantages[b] = speakerRewards[b] - baseline
                loss -= advantages[b] * speaker.messageLogProbability(b)
            }
            loss = loss / Float(batchSize) - settings.entropy * speaker.meanEntropy() * Float(settings.messageLength)
            speaker.backwardReinforce(advantages: advantages, scale: 1 / Float(batchSize))
            figures.speakerLoss += Double(loss)
        }
        speaker.baseline += 0.01 * (meanReward - speaker.baseline)
        figures.speakerEntropy += Double(speaker.meanEntropy())
        figures.speakerBatches += 1
    }

    /// Applies the private encoders' gradients (the agents took their steps
    /// in `playStep`; the shared encoder waits for its all-reduce).
    public func applyAgentGradients() {
        if sharedEncoder == nil {
            for encoder in encoders { encoder.module.step() }
        }
    }

    /// Applies the shared encoder's gradient (after it was averaged over ranks).
    public func applySharedEncoderGradient() {
        sharedEncoder?.module.step()
    }

    /// One whole training step on one rank, without any reduction.
    public func trainStep(_ step: Int) throws -> StepFigures {
        let figures = try playStep(step)
        applyAgentGradients()
        applySharedEncoderGradient()
        return figures
    }

    /// A checksum of every parameter of this rank (agents, then encoders).
    public func parametersChecksum() -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for speaker in speakers { hash = Checksum.combine(hash, speaker.module.parameters.checksum()) }
        for listener in listeners { hash = Checksum.combine(hash, listener.module.parameters.checksum()) }
        for encoder in encoders { hash = Checksum.combine(hash, encoder.module.parameters.checksum()) }
        return hash
    }

    /// The greedy lexicon of speaker `s`.
    public func lexicon(of s: Int) -> Lexicon {
        let speaker = speakers[s]
        speaker.encoder.forward()
        return Evaluation.lexicon(of: speaker, space: space, scratch: scratch)
    }
}
