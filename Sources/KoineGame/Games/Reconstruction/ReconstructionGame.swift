import KoineTensor

/// Lewis's reconstruction game, as EGG's basic games play it: the speaker
/// sees an object of an attribute space (the attribute game's tuples of
/// values, one-hot) and sends a message; the listener sees no candidates and
/// names the object's value of every attribute from the message alone
/// (`ReconstructionHead`). A game is won when every attribute is right.
/// Languages are measured by the attribute game's figures of their lexicons.
public final class ReconstructionGame: ReferentialGame {
    /// The attribute space and its games, each of the target alone: its
    /// sampling, encoder and lexicons are this game's.
    let base: AttributeGame

    public var space: ObjectSpace { base.space }
    public var objectCount: Int { base.objectCount }
    /// The target alone: the listener chooses among nothing.
    public var candidates: Int { 1 }
    public var listenerHead: ListenerHeadFactory { AttributeReconstruction(space: space) }

    /// `random` chooses the held-out combinations, as the attribute game's.
    public init(attributes: [Int], holdout: Int, distance: MeaningDistance, random: Random) throws {
        base = try AttributeGame(attributes: attributes, holdout: holdout, candidates: 1, distance: distance, random: random)
    }

    public func sample(into batch: GameBatch, random: inout Random) {
        base.sample(into: batch, random: &random)
    }

    public func makeEncoder(hidden: Int, optimizer: OptimizerSettings, random: Random) -> ObjectEncoder {
        base.makeEncoder(hidden: hidden, optimizer: optimizer, random: random)
    }

    public func lexicon(of speaker: Speaker) -> Lexicon { base.lexicon(of: speaker) }
    public func describe(object: Int) -> String { base.describe(object: object) }
    public var descriptionColumn: String { base.descriptionColumn }
    public func attributes(of object: Int) -> [Int]? { base.attributes(of: object) }
    public var playsLexicons: Bool { true }

    /// The listener's reconstruction of every training object from its
    /// message in `lexicon` (each once: the listener is deterministic and has
    /// no distractors to draw).
    public func play(lexicon: Lexicon, listener: Listener, batch size: Int) -> PlayedGames? {
        play(lexicon, listener: listener, objects: space.trainingObjects, batch: size).games
    }

    public func evaluate(speakers: [Speaker], listeners: [Listener], encoders: [ObjectEncoder], batch size: Int) -> GameEvaluation {
        for encoder in encoders { encoder.forward() }
        let arena = Arena()
        let scratch = arena.indices(max(size, 1))
        let lexicons = speakers.map { Evaluation.lexicon(of: $0, objects: space.count, scratch: scratch) }
        var accuracy = 0.0, attributeAccuracy = 0.0, heldout = 0.0, influence = 0.0, coordination = 0.0
        var interactions: [Interaction] = []
        var lexiconAccuracy = [[Double]](repeating: [Double](repeating: .nan, count: listeners.count), count: speakers.count)
        // A greedy speaker says its lexicon's message: playing the lexicon is playing the pair.
        for (s, lexicon) in lexicons.enumerated() {
            for (l, listener) in listeners.enumerated() {
                let played = play(lexicon, listener: listener, objects: space.trainingObjects, batch: size)
                lexiconAccuracy[s][l] = played.games.accuracy
                accuracy += played.games.accuracy
                attributeAccuracy += played.attributeAccuracy
                influence += played.games.causalInfluence
                coordination += played.games.coordination
                for (target, choice) in zip(played.games.targets, played.games.chosen) {
                    interactions.append(Interaction(speaker: s, listener: l, target: target, targetDescription: describe(object: target),
                                                    message: lexicon.trimmed(target), choice: choice, reward: choice == target ? 1 : 0))
                }
                if !space.heldoutObjects.isEmpty {
                    heldout += play(lexicon, listener: listener, objects: space.heldoutObjects, batch: size).games.accuracy
                }
            }
        }
        let pairs = Double(speakers.count * listeners.count)
        var figures: [(name: String, value: Double)] = [("accuracy", accuracy / pairs), ("attribute_accuracy", attributeAccuracy / pairs)]
        figures += base.languageFigures(of: speakers, lexicons: lexicons)
        if !space.heldoutObjects.isEmpty { figures.append(("heldout_accuracy", heldout / pairs)) }
        // Positive listening and signalling (Lowe et al. 2019), in bits.
        figures += [("causal_influence", influence / pairs), ("instantaneous_coordination", coordination / pairs)]
        figures += base.signallingFigures(of: speakers, lexicons: lexicons, scratch: scratch)
        return GameEvaluation(figures: figures, lexicons: lexicons, spreadFigures: ["accuracy", "topsim"], interactions: interactions,
                              lexiconAccuracy: lexiconAccuracy)
    }

    /// `listener`'s greedy reconstruction of each of `objects` from its
    /// message in `lexicon`, `batch` games at a time: the games as played
    /// (the object named, when every attribute's value makes one, is the
    /// choice), and the share of attributes named right. The causal
    /// influence is, per attribute, the mutual information between the
    /// message (of a uniformly drawn object) and the listener's distribution
    /// over the attribute's values (the mean over objects of the KL
    /// divergence from their mean), averaged over the attributes.
    func play(_ lexicon: Lexicon, listener: Listener, objects: [Int], batch size: Int)
        -> (games: PlayedGames, attributeAccuracy: Double) {
        let attributes = space.attributes, width = attributes.count
        guard !objects.isEmpty else {
            return (PlayedGames(causalInfluence: .nan, coordination: .nan, accuracy: .nan, targets: [], chosen: []), .nan)
        }
        let scratch = InterventionScratch(capacity: max(1, min(size, listener.capacity)), candidates: 1, settings: listener.settings)
        var distributions = [[[Double]]](repeating: [], count: width)
        var sent: [[Int]] = [], chosen: [Int] = []
        var wins = 0.0, right = 0.0
        var unused = Random(seed: 0)  // greedy play draws nothing
        var start = 0
        while start < objects.count {
            let count = min(scratch.batch.size, objects.count - start)
            let games = scratch.batch.prefix(count)
            for g in 0..<count {
                games.targets[g] = objects[start + g]
                games.candidates[g] = objects[start + g]
                games.targetPositions[g] = 0
            }
            scratch.message.rows = count
            EaseOfTeaching.write(lexicon: lexicon, targets: games.targets, into: scratch.message)
            listener.listen(to: scratch.message, batch: games, random: &unused, greedy: true)
            let logits = listener.lastScores
            for g in 0..<count {
                let target = objects[start + g]
                var named = 0
                for a in 0..<width {
                    let value = listener.choices[g * width + a]
                    named = named * attributes[a] + value
                    if value == space.value(of: target, attribute: a) { right += 1 }
                    distributions[a].append(Communication.choices(scores: logits.row(g) + offset(a), count: attributes[a]))
                }
                sent.append(lexicon.trimmed(target))
                chosen.append(named)
                if named == target { wins += 1 }
            }
            start += count
        }
        let influence = distributions.map(Communication.causalInfluence).reduce(0, +) / Double(width)
        let total = Double(objects.count)
        let games = PlayedGames(causalInfluence: influence, coordination: Information.mutualInformation(sent, chosen),
                                accuracy: wins / total, targets: objects, chosen: chosen)
        return (games, right / (total * Double(width)))
    }

    /// Where attribute `a`'s values start in a row of the listener's logits.
    private func offset(_ a: Int) -> Int { space.attributes.prefix(a).reduce(0, +) }
}
