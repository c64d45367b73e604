import KoineTensor

/// The attribute game of Li & Bowling (2019): objects are tuples of attribute
/// values, one-hot encoded; a game is a target among distinct distractors from
/// the training objects; a language is measured by its topographic
/// similarity, disentanglement, entropy and size, and by accuracy on held-out
/// combinations when some are kept out of training.
public final class AttributeGame: ReferentialGame {
    public let space: ObjectSpace
    public let candidates: Int
    /// Meaning distance of the topographic similarity.
    public let distance: MeaningDistance
    let sampler: GameSampler

    public var objectCount: Int { space.count }

    /// `random` chooses the held-out combinations.
    public init(attributes: [Int], holdout: Int, candidates: Int, distance: MeaningDistance, random: Random) throws {
        space = try ObjectSpace(attributes: attributes, holdout: holdout, random: random)
        self.candidates = candidates
        self.distance = distance
        sampler = GameSampler(targets: space.trainingObjects, distractors: space.trainingObjects, candidates: candidates)
    }

    /// Every object fits the encoders' tables: no scene.

    public func sample(into batch: GameBatch, random: inout Random) {
        sampler.sample(into: batch, random: &random)
    }

    public func makeEncoder(hidden: Int, optimizer: OptimizerSettings, random: Random) -> ObjectEncoder {
        AttributeEncoder(space: space, hidden: hidden, optimizer: optimizer, random: random)
    }

    public func describe(object: Int) -> String {
        space.values(of: object).map(String.init).joined(separator: ",")
    }

    public var descriptionColumn: String { "attributes" }

    /// Every target is played at least once and, for small spaces, often
    /// enough (about 1,000 games in all) that one unlucky set of distractors
    /// does not move the figure by a whole object's share.
    static func repeats(_ targets: Int) -> Int { max(1, (1000 + targets - 1) / max(targets, 1)) }

    public func lexicon(of speaker: Speaker) -> Lexicon {
        speaker.encoder.forward()
        let arena = Arena()
        defer { withExtendedLifetime(arena) {} }
        return Evaluation.lexicon(of: speaker, objects: space.count, scratch: arena.indices(max(speaker.capacity, 1)))
    }

    public var playsLexicons: Bool { true }

    public func play(lexicon: Lexicon, listener: Listener, batch size: Int) -> PlayedGames? {
        let scratch = InterventionScratch(capacity: max(size, candidates), candidates: candidates, settings: listener.settings)
        var games = Random(seed: 0).split(99)   // the evaluation's own games
        return Evaluation.communication(listener: listener, lexicon: lexicon, targets: space.trainingObjects,
                                        repeats: AttributeGame.repeats(space.trainingObjects.count),
                                        sampler: sampler, scratch: scratch, random: &games)
    }

    public func attributes(of object: Int) -> [Int]? { space.values(of: object) }

    /// Messages sampled per object to measure a speaker's consistency.
    public static let consistencySamples = 20

    /// The figures of the speakers' languages that their lexicons give over
    /// the attribute space (each the mean over speakers), in the order reports
    /// show them after the accuracy: topsim (by `distance`, and as Li &
    /// Bowling compute it), posdis, bosdis, entropy and the lexicon's size.
    public func languageFigures(of speakers: [Speaker], lexicons: [Lexicon]) -> [(name: String, value: Double)] {
        let vocabulary = speakers.first?.settings.vocabulary ?? 0
        func mean(_ figure: (Lexicon) -> Double) -> Double { lexicons.map(figure).reduce(0, +) / Double(lexicons.count) }
        return [
            ("topsim", mean { TopographicSimilarity.measure(lexicon: $0, space: self.space, distance: self.distance) }),
            ("topsim_li_bowling", mean { TopographicSimilarity.liBowling(lexicon: $0, space: self.space) }),
            ("posdis", mean { Disentanglement.positional(lexicon: $0, space: self.space) }),
            ("bosdis", mean { Disentanglement.bagOfSymbols(lexicon: $0, space: self.space, vocabulary: vocabulary) }),
            ("entropy", mean(\.entropy)),
            ("lexicon_size", mean { Double($0.size) }),
        ]
    }

    /// Positive signalling (Lowe et al. 2019) of the speakers, means over
    /// them: how consistently each says one message per training object
    /// (`consistencySamples` sampled messages each, from a fixed stream), and
    /// the context independence of its lexicon. `scratch` holds a speaker's
    /// capacity of ids.
    public func signallingFigures(of speakers: [Speaker], lexicons: [Lexicon], scratch: Indices) -> [(name: String, value: Double)] {
        let count = Double(lexicons.count)
        var sampling = Random(seed: 0).split(98)
        let consistency = speakers.map {
            Evaluation.consistency(of: $0, objects: space.trainingObjects, samples: AttributeGame.consistencySamples,
                                   scratch: scratch, random: &sampling)
        }
        let independence = lexicons.map { Communication.contextIndependence(lexicon: $0, space: self.space) }
        return [("speaker_consistency", consistency.reduce(0, +) / count), ("context_independence", independence.reduce(0, +) / count)]
    }

    public func evaluate(speakers: [Speaker], listeners: [Listener], encoders: [ObjectEncoder], batch size: Int) -> GameEvaluation {
        for encoder in encoders { encoder.forward() }
        let arena = Arena()
        let scratch = arena.indices(max(size, 1))
        let lexicons = speakers.map { Evaluation.lexicon(of: $0, objects: space.count, scratch: scratch) }
        let batch = GameBatch(size: size, candidates: candidates, arena: arena)
        let heldoutSampler = GameSampler(targets: space.heldoutObjects.isEmpty ? space.trainingObjects : space.heldoutObjects,
                                         distractors: Array(0..<space.count), candidates: candidates)
        var accuracy = 0.0, heldout = 0.0, influence = 0.0, coordination = 0.0
        var pairs = 0.0
        var interactions: [Interaction] = []
        var lexiconAccuracy = [[Double]](repeating: [Double](repeating: .nan, count: listeners.count), count: speakers.count)
        for (s, speaker) in speakers.enumerated() {
            for (l, listener) in listeners.enumerated() {
                // The same games as the accuracy's, the speaker's greedy lexicon shown in turn.
                if let played = play(lexicon: lexicons[s], listener: listener, batch: size) {
                    lexiconAccuracy[s][l] = played.accuracy
                    influence += played.causalInfluence
                    coordination += played.coordination
                    for (target, choice) in zip(played.targets, played.chosen) {
                        interactions.append(Interaction(speaker: s, listener: l, target: target,
                                                        targetDescription: describe(object: target),
                                                        message: lexicons[s].trimmed(target), choice: choice,
                                                        reward: choice == target ? 1 : 0))
                    }
                }
                // The same distractors for every pair and every evaluation.
                var random = Random(seed: 0).split(99)
                accuracy += Evaluation.accuracy(speaker: speaker, listener: listener, targets: space.trainingObjects,
                                                repeats: AttributeGame.repeats(space.trainingObjects.count),
                                                sampler: sampler, batch: batch, random: &random)
                if !space.heldoutObjects.isEmpty {
                    heldout += Evaluation.accuracy(speaker: speaker, listener: listener, targets: space.heldoutObjects,
                                                   repeats: AttributeGame.repeats(space.heldoutObjects.count),
                                                   sampler: heldoutSampler, batch: batch, random: &random)
                }
                pairs += 1
            }
        }
        var figures: [(name: String, value: Double)] = [("accuracy", accuracy / pairs)]
        figures += languageFigures(of: speakers, lexicons: lexicons)
        if !space.heldoutObjects.isEmpty { figures.append(("heldout_accuracy", heldout / pairs)) }
        // Positive listening and signalling (Lowe et al. 2019), in bits.
        figures += [("causal_influence", influence / pairs), ("instantaneous_coordination", coordination / pairs)]
        figures += signallingFigures(of: speakers, lexicons: lexicons, scratch: scratch)
        return GameEvaluation(figures: figures, lexicons: lexicons, spreadFigures: ["accuracy", "topsim"], interactions: interactions,
                              lexiconAccuracy: lexiconAccuracy)
    }
}
