import KoineGame
import KoineTensor

/// Greedy evaluation of a whole population over the object space: accuracy
/// over every (speaker, listener) pair and the language metrics of each
/// speaker's lexicon, averaged over speakers.
public struct PopulationEvaluation {
    public var accuracy: Double
    public var heldoutAccuracy: Double?
    public var topographicSimilarity: Double
    public var positionalDisentanglement: Double
    public var bagOfSymbolsDisentanglement: Double
    /// Entropy in bits of the lexicon's message distribution.
    public var entropy: Double
    public var lexiconSize: Double
    public var lexicons: [Lexicon]

    /// Every target is played at least once and, for small spaces, often
    /// enough (about 1,000 games in all) that one unlucky set of distractors
    /// does not move the figure by a whole object's share.
    static func repeats(_ targets: Int) -> Int { max(1, (1000 + targets - 1) / max(targets, 1)) }

    public static func measure(_ population: Population, distance: MeaningDistance, seed: UInt64 = 0) -> PopulationEvaluation {
        let space = population.space
        let configuration = population.configuration
        for encoder in population.encoders { encoder.forward() }
        let lexicons = population.speakers.indices.map { population.lexicon(of: $0) }
        let arena = Arena()
        let batch = GameBatch(size: configuration.batch, candidates: configuration.candidates, arena: arena)
        let sampler = GameSampler(targets: space.trainingObjects, distractors: space.trainingObjects, candidates: configuration.candidates)
        let heldoutSampler = GameSampler(targets: space.heldoutObjects.isEmpty ? space.trainingObjects : space.heldoutObjects,
                                         distractors: Array(0..<space.count), candidates: configuration.candidates)
        var accuracy = 0.0, heldout = 0.0
        var pairs = 0.0
        for speaker in population.speakers {
            for listener in population.listeners {
                // The same distractors for every pair and every evaluation.
                var random = Random(seed: seed).split(99)
                accuracy += Evaluation.accuracy(speaker: speaker, listener: listener, targets: space.trainingObjects,
                                                repeats: repeats(space.trainingObjects.count),
                                                sampler: sampler, batch: batch, random: &random)
                if !space.heldoutObjects.isEmpty {
                    heldout += Evaluation.accuracy(speaker: speaker, listener: listener, targets: space.heldoutObjects,
                                                   repeats: repeats(space.heldoutObjects.count),
                                                   sampler: heldoutSampler, batch: batch, random: &random)
                }
                pairs += 1
            }
        }
        let speakers = Double(lexicons.count)
        let vocabulary = configuration.vocabulary
        return PopulationEvaluation(
            accuracy: accuracy / pairs,
            heldoutAccuracy: space.heldoutObjects.isEmpty ? nil : heldout / pairs,
            topographicSimilarity: lexicons.map { TopographicSimilarity.measure(lexicon: $0, space: space, distance: distance) }.reduce(0, +) / speakers,
            positionalDisentanglement: lexicons.map { Disentanglement.positional(lexicon: $0, space: space) }.reduce(0, +) / speakers,
            bagOfSymbolsDisentanglement: lexicons.map { Disentanglement.bagOfSymbols(lexicon: $0, space: space, vocabulary: vocabulary) }.reduce(0, +) / speakers,
            entropy: lexicons.map(\.entropy).reduce(0, +) / speakers,
            lexiconSize: lexicons.map { Double($0.size) }.reduce(0, +) / speakers,
            lexicons: lexicons)
    }
}
