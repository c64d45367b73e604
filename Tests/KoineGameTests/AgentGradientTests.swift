import KoineGame
import KoineTensor
import XCTest

/// Finite-difference checks of whole agents: the speaker's REINFORCE
/// surrogate and the listener's, through the folded input tables and the
/// per-object first step, into every parameter and the shared encoder.
final class AgentGradientTests: XCTestCase {
    let games = 12

    func makeAgents(cell: CellKind, symbolInput: SymbolInputKind = .embedding, sharesMessages: Bool = true,
                    foldsQuery: Bool = true, factorsEncoder: Bool = true) throws -> (ObjectSpace, ObjectEncoder, Speaker, Listener, GameBatch) {
        let settings = AgentSettings(vocabulary: 5, messageLength: 3, cell: cell, symbolInput: symbolInput, hidden: 6, entropy: 0.1)
        let shortcuts = AgentShortcuts(sharesMessages: sharesMessages, foldsQuery: foldsQuery, factorsEncoder: factorsEncoder)
        let fixture = try AgentFixture(settings: settings, games: games, shortcuts: shortcuts)
        arenas.append(fixture.arena)
        return (fixture.space, fixture.encoder, fixture.speaker, fixture.listener, fixture.batch)
    }

    /// Keeps the arena that owns a batch alive for the test's duration.
    var arenas: [Arena] = []

    /// Surrogate loss of the speaker with its messages held fixed (greedy):
    /// −Σ_b a_b Σ_t log p(m_t) − β Σ_b Σ_t H_t, over games.
    func speakerLoss(_ speaker: Speaker, _ encoder: ObjectEncoder, _ batch: GameBatch, advantages: [Float]) -> Double {
        var random = Random(seed: 0)
        encoder.forward()
        speaker.speak(targets: batch.targets, random: &random, greedy: true)
        var loss = 0.0
        for b in 0..<games {
            for t in 0..<speaker.settings.messageLength {
                loss -= Double(advantages[b]) * Double(speaker.chosenLogProbabilities[t][b])
                loss -= 0.1 * Double(speaker.entropies[t][b])
            }
        }
        return loss
    }

    func checkSpeaker(cell: CellKind, symbolInput: SymbolInputKind = .embedding, factorsEncoder: Bool = true) throws {
        let (_, encoder, speaker, _, batch) = try makeAgents(cell: cell, symbolInput: symbolInput, factorsEncoder: factorsEncoder)
        // An LSTM's first step runs per object, and factors through the encoder's 7 feature rows.
        XCTAssertEqual(speaker.factorsEncoder, cell == .lstm && factorsEncoder)
        let advantages: [Float] = (0..<games).map { Float($0 % 5) * 0.3 - 0.5 }
        _ = speakerLoss(speaker, encoder, batch, advantages: advantages)
        speaker.module.parameters.zeroGradients()
        encoder.module.parameters.zeroGradients()
        advantages.withUnsafeBufferPointer { speaker.backwardReinforce(advantages: $0.baseAddress!, entropyWeight: speaker.settings.entropy, scale: 1) }
        encoder.backward()
        try compare(parameters: speaker.module.parameters, label: "speaker \(cell) \(symbolInput)") {
            self.speakerLoss(speaker, encoder, batch, advantages: advantages)
        }
        try compare(parameters: encoder.module.parameters, label: "encoder via speaker \(cell)") {
            self.speakerLoss(speaker, encoder, batch, advantages: advantages)
        }
    }

    func compare(parameters: Parameters, label: String, loss: () -> Double) throws {
        assertFiniteDifferences(values: parameters.values, gradients: parameters.gradients, count: parameters.count,
                                label: label, loss: loss)
    }

    /// A Gumbel speaker's symbols through the folded input table give the
    /// logits, messages and gradients (its parameters, the encoder's table) of
    /// the per-game products, for embedded and one-hot symbols and both cells.
    func testGumbelSpeakerFoldedInputsMatchThePerGameProducts() throws {
        let space = try ObjectSpace(attributes: [3, 3], holdout: 0, random: Random(seed: 1))
        for (cell, kind) in [(CellKind.lstm, SymbolInputKind.embedding), (.lstm, .oneHot), (.gru, .embedding)] {
            let settings = AgentSettings(vocabulary: 5, messageLength: 3, variableLength: true, cell: cell, symbolInput: kind,
                                         hidden: 6, channel: .gumbel)
            let arena = Arena()
            let targets = arena.indices(games)
            for b in 0..<games { targets[b] = b % space.count }
            var results: [(symbols: [Int], parameters: [Float], table: [Float])] = []
            for folds in [true, false] {
                let encoder = AttributeEncoder(space: space, hidden: 6, optimizer: settings.optimizer, random: Random(seed: 2))
                let speaker = Speaker(settings: settings, encoder: encoder, capacity: games, random: Random(seed: 3),
                                      shortcuts: AgentShortcuts(foldsRelaxedInputs: folds))
                encoder.forward()
                var random = Random(seed: 5)
                speaker.speak(targets: targets, random: &random, greedy: false)
                // What listeners would leave: a fixed gradient on every symbol.
                for t in 0..<3 {
                    for b in 0..<games { for j in 0..<5 { speaker.message.gradients[t][b, j] = Float((t + 2 * b + 3 * j) % 7) * 0.1 - 0.3 } }
                }
                let symbols = (0..<games).flatMap { speaker.message.symbols(of: $0) }
                speaker.backwardGumbel()
                results.append((symbols, Array(speaker.module.parameters.gradientBuffer),
                                (0..<space.count).flatMap { o in (0..<6).map { encoder.tableGradient[o, $0] } }))
            }
            XCTAssertEqual(results[0].symbols, results[1].symbols, "\(cell) \(kind): the same messages")
            for (label, folded, perGame) in [("parameter gradients", results[0].parameters, results[1].parameters),
                                             ("table gradients", results[0].table, results[1].table)] {
                XCTAssertTrue(perGame.contains { $0 != 0 }, "\(label) are not all zero")
                for i in folded.indices {
                    XCTAssertEqual(folded[i], perGame[i], accuracy: 1e-5 * max(1, abs(perGame[i])), "\(cell) \(kind) \(label) \(i)")
                }
            }
            withExtendedLifetime(arena) {}
        }
    }

    func testSpeakerGradientLSTM() throws { try checkSpeaker(cell: .lstm) }
    func testSpeakerGradientGRU() throws { try checkSpeaker(cell: .gru) }
    func testSpeakerGradientOneHotLSTM() throws { try checkSpeaker(cell: .lstm, symbolInput: .oneHot) }
    func testSpeakerGradientOneHotGRU() throws { try checkSpeaker(cell: .gru, symbolInput: .oneHot) }

    /// The speaker's first step once per object (capacity for every object)
    /// gives what a pass per game gives (capacity below the object count):
    /// the same log-probabilities and entropies, and up to the order of sums
    /// the same gradients in the speaker and the encoder.
    func testSpeakerPerObjectFirstStepMatchesAPassPerGame() throws {
        let space = try ObjectSpace(attributes: [3, 3], holdout: 0, random: Random(seed: 1))
        let settings = AgentSettings(vocabulary: 5, messageLength: 3, cell: .lstm, hidden: 6, entropy: 0.1)
        let rows = 8
        var results: [(figures: [Float], speaker: [Float], encoder: [Float])] = []
        for capacity in [games, rows] {
            let encoder = AttributeEncoder(space: space, hidden: 6, optimizer: settings.optimizer, random: Random(seed: 2))
            let speaker = Speaker(settings: settings, encoder: encoder, capacity: capacity, random: Random(seed: 3))
            XCTAssertEqual(speaker.perObjectFirstStep, capacity >= space.count)
            let arena = Arena()
            let batch = GameBatch(size: rows, candidates: 3, arena: arena)
            var random = Random(seed: 5)
            GameSampler(targets: space.trainingObjects, distractors: space.trainingObjects, candidates: 3)
                .sample(into: batch, random: &random)
            var speaking = Random(seed: 6)
            encoder.forward()
            speaker.speak(targets: batch.targets, random: &speaking, greedy: false)
            let figures = (0..<settings.messageLength).flatMap { t in
                (0..<rows).flatMap { [speaker.chosenLogProbabilities[t][$0], speaker.entropies[t][$0]] }
            }
            let advantages: [Float] = (0..<rows).map { Float($0 % 3) * 0.4 - 0.3 }
            advantages.withUnsafeBufferPointer { speaker.backwardReinforce(advantages: $0.baseAddress!, entropyWeight: settings.entropy, scale: 1) }
            encoder.backward()
            results.append((figures, Array(speaker.module.parameters.gradientBuffer),
                            Array(encoder.module.parameters.gradientBuffer)))
            withExtendedLifetime(arena) {}
        }
        for (a, b) in zip(results[0].figures, results[1].figures) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        for (shared, each) in [(results[0].speaker, results[1].speaker), (results[0].encoder, results[1].encoder)] {
            for i in shared.indices {
                XCTAssertEqual(shared[i], each[i], accuracy: 1e-5 * max(1, abs(each[i])), "gradient \(i)")
            }
        }
    }

    func listenerLoss(_ listener: Listener, _ speaker: Speaker, _ encoder: ObjectEncoder, _ batch: GameBatch, advantages: [Float]) -> Double {
        var random = Random(seed: 0)
        encoder.forward()
        listener.listen(to: speaker.message, batch: batch, random: &random, greedy: true)
        // −Σ_b a_b log p(choice_b) − β Σ_b H_b with the (greedy) choices held fixed.
        var loss = 0.0
        for b in 0..<games {
            loss -= Double(advantages[b]) * Double(listener.chosenLogProbabilities[b]) + 0.1 * Double(listener.entropies[b])
        }
        return loss
    }

    /// The speaker's greedy messages, then the listener's loss and its gradients
    /// (in the listener and the encoder); returns the advantages used.
    func listenAndLearn(_ encoder: ObjectEncoder, _ speaker: Speaker, _ listener: Listener, _ batch: GameBatch,
                        symbol: (_ game: Int, _ step: Int) -> Int = AgentGradientTests.sixMessages) -> [Float] {
        var random = Random(seed: 0)
        encoder.forward()
        speaker.speak(targets: batch.targets, random: &random, greedy: true)
        // A greedy untrained speaker says one message to every target; these
        // repeat some messages and share first symbols.
        for b in 0..<games { for t in 0..<3 { speaker.message.symbols[t][b] = symbol(b, t) } }
        let advantages: [Float] = (0..<games).map { Float($0 % 4) * 0.4 - 0.6 }
        _ = listenerLoss(listener, speaker, encoder, batch, advantages: advantages)
        listener.module.parameters.zeroGradients()
        encoder.module.parameters.zeroGradients()
        advantages.withUnsafeBufferPointer { listener.backwardReinforce(advantages: $0.baseAddress!, entropyWeight: listener.settings.entropy, scale: 1) }
        encoder.backward()
        return advantages
    }

    /// The listener's steps run over 3, 6 and 6 distinct prefixes of the 12 games.
    static func sixMessages(_ b: Int, _ t: Int) -> Int {
        [b / 4, (b / 2) % 2 + 1, (b / 2 + b / 4) % 3][t]
    }

    /// 3, 9 and 9 distinct prefixes: games 9–11 repeat games 0–2's messages.
    static func nineMessages(_ b: Int, _ t: Int) -> Int {
        [b % 3, (b / 3) % 3, 4][t]
    }

    /// Games that share their messages read the listener's state rows
    /// through `rows`; with 9 distinct messages, more than the encoder's 7
    /// feature rows, the factored scoring runs on them too.
    func testListenerGradientFactoredQueryOverSharedMessages() throws {
        let (_, encoder, speaker, listener, batch) = try makeAgents(cell: .lstm)
        let advantages = listenAndLearn(encoder, speaker, listener, batch, symbol: Self.nineMessages)
        XCTAssertTrue(listener.factoredQuery)
        try compare(parameters: listener.module.parameters, label: "listener over shared messages") {
            self.listenerLoss(listener, speaker, encoder, batch, advantages: advantages)
        }
        try compare(parameters: encoder.module.parameters, label: "encoder via listener over shared messages") {
            self.listenerLoss(listener, speaker, encoder, batch, advantages: advantages)
        }
    }

    func checkListener(cell: CellKind, symbolInput: SymbolInputKind = .embedding, sharesMessages: Bool = true,
                       factorsEncoder: Bool = true) throws {
        let (_, encoder, speaker, listener, batch) = try makeAgents(cell: cell, symbolInput: symbolInput,
                                                                    sharesMessages: sharesMessages, factorsEncoder: factorsEncoder)
        let advantages = listenAndLearn(encoder, speaker, listener, batch)
        // 6 distinct messages against 7 feature rows and 9 objects: the query
        // runs plain; 12 games' rows factor it through the features, or fold it
        // into the table when factoring is off.
        XCTAssertEqual(listener.factoredQuery, !sharesMessages && factorsEncoder)
        XCTAssertEqual(listener.foldedQuery, !sharesMessages && !factorsEncoder)
        try compare(parameters: listener.module.parameters, label: "listener \(cell) \(symbolInput)") {
            self.listenerLoss(listener, speaker, encoder, batch, advantages: advantages)
        }
        try compare(parameters: encoder.module.parameters, label: "encoder via listener \(cell)") {
            self.listenerLoss(listener, speaker, encoder, batch, advantages: advantages)
        }
    }

    func testListenerGradientLSTM() throws { try checkListener(cell: .lstm) }
    func testListenerGradientGRU() throws { try checkListener(cell: .gru) }
    func testListenerGradientOneHotLSTM() throws { try checkListener(cell: .lstm, symbolInput: .oneHot) }
    func testListenerGradientOneHotGRU() throws { try checkListener(cell: .gru, symbolInput: .oneHot) }
    func testListenerGradientFoldedQuery() throws { try checkListener(cell: .lstm, sharesMessages: false, factorsEncoder: false) }
    func testListenerGradientFactoredQuery() throws { try checkListener(cell: .lstm, sharesMessages: false) }
    func testSpeakerGradientTablePass() throws { try checkSpeaker(cell: .lstm, symbolInput: .oneHot, factorsEncoder: false) }

    /// The query layer folded into the object table (more query rows than
    /// objects), and folded further into the encoder's features, give the
    /// plain pass's probabilities and, up to the order of sums, its gradients
    /// in the listener and the encoder.
    func testFoldedAndFactoredQueriesMatchThePlainPass() throws {
        var results: [(logProbabilities: [Float], gradients: [Float], encoder: [Float])] = []
        for (folds, factors) in [(false, false), (true, false), (true, true)] {
            let (_, encoder, speaker, listener, batch) = try makeAgents(cell: .lstm, sharesMessages: false, foldsQuery: folds,
                                                                        factorsEncoder: factors)
            _ = listenAndLearn(encoder, speaker, listener, batch)
            XCTAssertEqual(listener.foldedQuery, folds && !factors)
            XCTAssertEqual(listener.factoredQuery, factors)
            results.append(((0..<games).map { listener.chosenLogProbabilities[$0] },
                            Array(listener.module.parameters.gradientBuffer), Array(encoder.module.parameters.gradientBuffer)))
        }
        let plain = results[0]
        for other in results.dropFirst() {
            for (a, b) in zip(other.logProbabilities, plain.logProbabilities) { XCTAssertEqual(a, b, accuracy: 1e-5) }
            for (reassociated, reference) in [(other.gradients, plain.gradients), (other.encoder, plain.encoder)] {
                XCTAssertTrue(reference.contains { $0 != 0 })
                for i in reassociated.indices {
                    XCTAssertEqual(reassociated[i], reference[i], accuracy: 1e-5 * max(1, abs(reference[i])), "gradient \(i)")
                }
            }
        }
    }

    /// The speaker's per-object first step factored through the encoder's
    /// features gives the table pass's messages and, up to the order of sums,
    /// its gradients in the speaker and the encoder.
    func testSpeakerFactoredFirstStepMatchesTheTablePass() throws {
        var results: [(logProbabilities: [Float], gradients: [Float], encoder: [Float])] = []
        for factors in [false, true] {
            let (_, encoder, speaker, _, batch) = try makeAgents(cell: .lstm, symbolInput: .oneHot, factorsEncoder: factors)
            XCTAssertEqual(speaker.factorsEncoder, factors)
            let advantages: [Float] = (0..<games).map { Float($0 % 5) * 0.3 - 0.5 }
            _ = speakerLoss(speaker, encoder, batch, advantages: advantages)
            speaker.module.parameters.zeroGradients()
            encoder.module.parameters.zeroGradients()
            advantages.withUnsafeBufferPointer {
                speaker.backwardReinforce(advantages: $0.baseAddress!, entropyWeight: speaker.settings.entropy, scale: 1)
            }
            encoder.backward()
            results.append(((0..<games).map { speaker.messageLogProbability($0) },
                            Array(speaker.module.parameters.gradientBuffer), Array(encoder.module.parameters.gradientBuffer)))
        }
        for (a, b) in zip(results[1].logProbabilities, results[0].logProbabilities) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        for (factored, table) in [(results[1].gradients, results[0].gradients), (results[1].encoder, results[0].encoder)] {
            XCTAssertTrue(table.contains { $0 != 0 })
            for i in factored.indices {
                XCTAssertEqual(factored[i], table[i], accuracy: 1e-5 * max(1, abs(table[i])), "gradient \(i)")
            }
        }
    }

    /// One-hot input has no embedding: the cells read the vocabulary's width.
    func testOneHotAgentsHaveNoEmbedding() {
        let embedded = AgentSettings(vocabulary: 5, hidden: 6)
        var oneHot = embedded
        oneHot.symbolInput = .oneHot
        // Speaker: (v + 1)·h embedding and an h-wide input weight become a v-wide input weight.
        XCTAssertEqual(Speaker.parameterCount(embedded) - Speaker.parameterCount(oneHot), 6 * 6 + (6 - 5) * 4 * 6)
        let head = CandidateChoice(candidates: 3)
        XCTAssertEqual(Listener.parameterCount(embedded, head: head) - Listener.parameterCount(oneHot, head: head), 5 * 6 + (6 - 5) * 4 * 6)
    }

    /// Games with the same message share one recurrent pass: the same
    /// scores, choices and (up to the order of sums) gradients as a pass per game.
    func testSharedMessagesMatchAPassPerGame() throws {
        var results: [(logProbabilities: [Float], gradients: [Float], encoder: [Float], rows: Int, firstRows: Int)] = []
        for shares in [true, false] {
            // The query unfolded in both: 12 games' rows would fold it into the 9-row table.
            let (_, encoder, speaker, listener, batch) = try makeAgents(cell: .lstm, sharesMessages: shares, foldsQuery: false)
            _ = listenAndLearn(encoder, speaker, listener, batch)
            results.append(((0..<games).map { listener.chosenLogProbabilities[$0] },
                            Array(listener.module.parameters.gradientBuffer),
                            Array(encoder.module.parameters.gradientBuffer), listener.readRows, listener.readRows(step: 0)))
        }
        XCTAssertLessThan(results[0].rows, games, "12 games over 9 objects repeat messages")
        XCTAssertEqual(results[1].rows, games)
        XCTAssertEqual(results[0].firstRows, 3, "the first step runs once per distinct first symbol")
        XCTAssertEqual(results[0].rows, 6, "the last step once per distinct message")
        XCTAssertEqual(results[1].firstRows, games)
        XCTAssertEqual(results[0].logProbabilities, results[1].logProbabilities, "the forward pass is bit-identical")
        for (shared, each) in [(results[0].gradients, results[1].gradients), (results[0].encoder, results[1].encoder)] {
            for i in shared.indices {
                XCTAssertEqual(shared[i], each[i], accuracy: 1e-5 * max(1, abs(each[i])), "gradient \(i)")
            }
        }
    }
}
