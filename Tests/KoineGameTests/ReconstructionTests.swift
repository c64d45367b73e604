import KoineGame
import KoineTensor
import XCTest

/// The reconstruction game's listener head: its cross-entropy gradient
/// against finite differences through the whole listener (shared message
/// rows and relaxed messages), its decisions and rewards by hand, its
/// learning rule under REINFORCE, and the game's evaluation.
final class ReconstructionTests: XCTestCase {
    let games = 12
    /// Keeps the arenas that own batches alive for the test's duration.
    var arenas: [Arena] = []

    struct Agents {
        let game: ReconstructionGame
        let encoder: ObjectEncoder
        let speaker: Speaker
        let listener: Listener
        let batch: GameBatch
    }

    /// 3 × 2 objects, hidden 6, a batch of `games` games of the target alone.
    func makeAgents(_ settings: AgentSettings) throws -> Agents {
        let game = try ReconstructionGame(attributes: [3, 2], holdout: 0, distance: .cosine, random: Random(seed: 1))
        let encoder = game.makeEncoder(hidden: settings.hidden, optimizer: settings.optimizer, random: Random(seed: 2))
        let speaker = Speaker(settings: settings, encoder: encoder, capacity: games, random: Random(seed: 3))
        let listener = Listener(settings: settings, encoder: encoder, capacity: games, head: game.listenerHead, random: Random(seed: 4))
        let arena = Arena()
        arenas.append(arena)
        let batch = GameBatch(size: games, candidates: game.candidates, arena: arena)
        var random = Random(seed: 5)
        game.sample(into: batch, random: &random)
        return Agents(game: game, encoder: encoder, speaker: speaker, listener: listener, batch: batch)
    }

    /// Σ over games of the mean over attributes of −log p(target's value).
    func loss(_ agents: Agents, _ message: Message) -> Double {
        var random = Random(seed: 0)
        agents.listener.listen(to: message, batch: agents.batch, random: &random, greedy: true)
        return (0..<games).reduce(0.0) { $0 - Double(agents.listener.rewards[$1]) }
    }

    /// Messages that repeat and share first symbols (3, 6 and 6 distinct
    /// prefixes of the 12 games), so that an LSTM listener shares rows.
    func writeSharedMessages(_ message: Message) {
        for b in 0..<games {
            message.symbols[0][b] = b / 4
            message.symbols[1][b] = (b / 2) % 2 + 1
            message.symbols[2][b] = (b / 2 + b / 4) % 3
        }
    }

    func checkGradient(_ settings: AgentSettings, label: String) throws {
        let agents = try makeAgents(settings)
        var random = Random(seed: 6)
        agents.encoder.forward()
        agents.speaker.speak(targets: agents.batch.targets, random: &random, greedy: false)
        let message = agents.speaker.message
        if settings.channel == .reinforce { writeSharedMessages(message) }
        _ = loss(agents, message)
        agents.listener.module.parameters.zeroGradients()
        let mean = agents.listener.backwardCrossEntropy(scale: 1)
        XCTAssertEqual(Double(mean), loss(agents, message) / Double(games), accuracy: 1e-5, "the mean cross-entropy")
        if settings.channel == .reinforce {
            XCTAssertEqual(agents.listener.readRows, 6, "\(label): games that heard one message share a row")
        } else {
            XCTAssertTrue((0..<games).contains { b in (0..<5).contains { message.gradients[2][b, $0] != 0 } },
                          "\(label): the relaxed message gets a gradient for the speaker")
        }
        let parameters = agents.listener.module.parameters
        assertFiniteDifferences(values: parameters.values, gradients: parameters.gradients, count: parameters.count,
                                label: label) { self.loss(agents, message) }
    }

    func testCrossEntropyGradientOverSharedRows() throws {
        try checkGradient(AgentSettings(vocabulary: 5, messageLength: 3, cell: .lstm, hidden: 6), label: "LSTM, shared prefixes")
        try checkGradient(AgentSettings(vocabulary: 5, messageLength: 3, cell: .gru, symbolInput: .oneHot, hidden: 6),
                          label: "GRU, shared messages, one-hot")
    }

    func testCrossEntropyGradientOverRelaxedMessages() throws {
        try checkGradient(AgentSettings(vocabulary: 5, messageLength: 3, cell: .lstm, hidden: 6, channel: .gumbel),
                          label: "LSTM, relaxed messages")
    }

    /// Each attribute's decision is its most likely value, the reward minus
    /// the mean cross-entropy, and a game is won when every attribute is right.
    func testDecisionsRewardsAndAccuracyByHand() throws {
        let agents = try makeAgents(AgentSettings(vocabulary: 5, messageLength: 2, hidden: 6))
        let listener = agents.listener, space = agents.game.space
        var random = Random(seed: 6)
        agents.encoder.forward()
        agents.speaker.speak(targets: agents.batch.targets, random: &random, greedy: false)
        listener.listen(to: agents.speaker.message, batch: agents.batch, random: &random, greedy: false)
        XCTAssertEqual(listener.head.outcomes.width, 2)
        XCTAssertFalse(listener.head.decidesBySampling)
        var wins = 0
        for b in 0..<games {
            let logits = listener.lastScores.row(b), target = agents.batch.targets[b]
            var crossEntropy = 0.0, right = true
            for (a, offset) in [(0, 0), (1, 3)] {
                let values = space.attributes[a]
                let row = (0..<values).map { Double(logits[offset + $0]) }
                let best = row.indices.max { row[$0] < row[$1] }!
                XCTAssertEqual(listener.choices[b * 2 + a], best, "game \(b) attribute \(a)")
                let normaliser = log(row.map { exp($0) }.reduce(0, +))
                crossEntropy -= row[space.value(of: target, attribute: a)] - normaliser
                right = right && best == space.value(of: target, attribute: a)
            }
            XCTAssertEqual(Double(listener.rewards[b]), -crossEntropy / 2, accuracy: 1e-5, "game \(b)")
            if right { wins += 1 }
        }
        XCTAssertEqual(Double(listener.accuracy()), Double(wins) / Double(games), accuracy: 1e-6)
    }

    /// Under REINFORCE the listener learns by its loss, as EGG's deterministic
    /// receiver: the channel's gradient is the cross-entropy's over its games.
    func testReinforceTrainsTheListenerByItsLoss() throws {
        let settings = AgentSettings(vocabulary: 5, messageLength: 2, hidden: 6)
        var gradients: [[Float]] = []
        for viaChannel in [true, false] {
            let agents = try makeAgents(settings)
            var random = Random(seed: 6)
            agents.encoder.forward()
            agents.speaker.speak(targets: agents.batch.targets, random: &random, greedy: false)
            agents.listener.listen(to: agents.speaker.message, batch: agents.batch, random: &random, greedy: false)
            if viaChannel {
                let channel = makeChannel(settings, capacity: games)
                _ = channel.listenerLearns(agents.listener, counts: GameCounts(listener: 3 * games, speaker: games))
            } else {
                agents.listener.backwardCrossEntropy(scale: 1 / Float(3 * games))
            }
            gradients.append(Array(agents.listener.module.parameters.gradientBuffer))
        }
        XCTAssertTrue(gradients[1].contains { $0 != 0 })
        XCTAssertEqual(gradients[0], gradients[1])
    }

    /// An untrained pair's evaluation: every figure named, accuracy in [0, 1],
    /// the games as played reconstruct objects of the space.
    func testEvaluationFiguresAndPlayedGames() throws {
        let agents = try makeAgents(AgentSettings(vocabulary: 5, messageLength: 2, hidden: 6))
        let game = agents.game
        let evaluation = game.evaluate(speakers: [agents.speaker], listeners: [agents.listener], encoders: [agents.encoder],
                                       batch: games)
        XCTAssertEqual(evaluation.figures.map(\.name), [
            "accuracy", "attribute_accuracy", "topsim", "topsim_li_bowling", "posdis", "bosdis", "entropy", "lexicon_size",
            "causal_influence", "instantaneous_coordination", "speaker_consistency", "context_independence",
        ])
        let played = try XCTUnwrap(game.play(lexicon: evaluation.lexicons[0], listener: agents.listener, batch: 4))
        XCTAssertEqual(played.targets, Array(0..<6), "every training object once, in batches of 4")
        XCTAssertTrue(played.chosen.allSatisfy { (0..<6).contains($0) })
        XCTAssertEqual(played.accuracy, evaluation["accuracy"]!, accuracy: 1e-12, "the same games at any batch size")
        XCTAssertEqual(evaluation.lexiconAccuracy?[0][0], played.accuracy)
        XCTAssertEqual(evaluation.interactions.count, 6)
        let attribute = try XCTUnwrap(evaluation["attribute_accuracy"])
        XCTAssertGreaterThanOrEqual(attribute, evaluation["accuracy"]!)
        XCTAssertLessThanOrEqual(attribute, 1)
    }
}
